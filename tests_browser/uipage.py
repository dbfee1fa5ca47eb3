"""A page of the Dagster UI as the browser check drives it: what it records as errors, and where
its screenshots go."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import ConsoleMessage, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from nexus_pipelines.settings import PROJECT_DIR

SCREENSHOTS = PROJECT_DIR / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 800}  # the screenshots' size
# A page of the UI loads in a few seconds; on a busy machine, its statuses much later.
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)
# the incident of the one alert the demo's record holds (conftest.demo), in the alerts table
INCIDENT = "inc_browser_check"


def graphql(url: str, query: str) -> dict:
    """A query to the webserver's GraphQL API, the one the UI reads."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


class UiPage:
    """A page of the UI that records what would show an analyst an error: console errors,
    uncaught exceptions, and GraphQL responses carrying errors."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.route("**/graphql*", self._graphql)
        # A fresh instance greets its first visitor with "Join the Dagster community".
        page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda b: b.click())

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _graphql(self, route: Route) -> None:
        try:
            response = route.fetch()
            body = response.text()
        except PlaywrightError as error:  # the server dropped it: the UI shows a network error
            self.errors.append(f"GraphQL request failed: {error.message}")
            route.abort()
            return
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"errors": [f"not JSON (HTTP {response.status}): {body[:200]}"]}
        operation = route.request.post_data_json or {}
        name = operation.get("operationName") if isinstance(operation, dict) else None
        if isinstance(payload, dict) and payload.get("errors"):
            self.errors.append(f"GraphQL {name}: {payload['errors']}")
        if '"__typename": "PythonError"' in body or '"__typename":"PythonError"' in body:
            self.errors.append(f"GraphQL {name} returned a PythonError: {body[:500]}")
        route.fulfill(response=response)

    def close(self) -> None:
        """Requests still in flight when the page closes are not the UI's errors."""
        self.page.unroute_all(behavior="ignoreErrors")
        self.page.close()

    def open(self, path: str) -> None:
        self.page.goto(f"{self.url}{path}")

    def widen(self) -> None:
        """Hide the navigation column (the UI's own button; it remembers the choice), so that an
        asset page's tables have the room they need in the screenshot."""
        hide = self.page.get_by_role("button", name="Hide navigation")
        hidden = self.page.get_by_role("img", name="panel_show_left")  # the toggle, collapsed
        expect(hide.or_(hidden)).to_be_visible()
        if hide.is_visible():
            hide.click()
        expect(hidden).to_be_visible()

    def assert_no_errors(self) -> None:
        """No error banner, error toast, console error or GraphQL error so far."""
        page = self.page
        shown = [
            *page.locator('[class*="PythonErrorInfo_"]').all_inner_texts(),
            *page.locator('[class*="Toaster_toast"]').filter(has_text="rror").all_inner_texts(),
            *page.get_by_text("An error occurred").all_inner_texts(),
            *page.get_by_text("Unexpected GraphQL error").all_inner_texts(),
        ]
        assert not shown, shown
        assert not self.errors, self.errors

    def screenshot(self, name: str) -> Path:
        """The viewport as docs/images/<name>.png, which the README shows: a PNG of at most 256
        colours (the UI's flat colours lose nothing visible; a third of the bytes in git)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        taken = self.page.screenshot(animations="disabled")
        with Image.open(io.BytesIO(taken)) as image:
            image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
        return path
