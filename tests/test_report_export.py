"""`nexus report` through the real command on a small demo built by the real command: the list
against the declarations as written, exports against the stored versions and the tables the
sections read."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from deployment import DAYS, NEXUS, YESTERDAY, deployment, nexus, query

from nexus_pipelines.settings import PROJECT_DIR

PICTURE = "data:image/png;base64,"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small company generated, loaded and materialised by `nexus`, as the README says."""
    env = deployment(tmp_path_factory.mktemp("report_export"))
    start = (YESTERDAY - timedelta(days=DAYS - 1)).isoformat()
    args = ["--users", "200", "--days", str(DAYS), "--start", start, "--seed", "5"]
    nexus(env, "generate", *args)
    nexus(env, "materialize")
    return env


# A report of a day is partitioned by its cadence's period (assets/domains/README.md); a daily
# one by month, as the daily cadence's tables are.
PERIODS = {
    "daily": "days_by_month",
    "weekly": "weekly",
    "biweekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
}


def _declared() -> dict[str, tuple[str, str, str, str]]:
    """Each report's (asset key, cadence, partitions, owners) as the YAML files say, a report for
    each cadence expanded over the cadences with a schedule, its owners their roles."""
    cadences = yaml.safe_load((PROJECT_DIR / "assets/playbook/cadences.yaml").read_text())
    scheduled = [c for c in cadences["cadences"] if "cron" in c]
    declared = {}
    for path in sorted((PROJECT_DIR / "assets/domains").glob("*/reports.yaml")):
        domain = path.parent.name
        for spec in yaml.safe_load(path.read_text())["reports"]:
            if spec.get("for_each") == "cadence":
                for cadence in scheduled:
                    name = spec["name"].replace("{cadence}", cadence["id"])
                    roles = ", ".join(dict.fromkeys(a["role"] for a in cadence["activities"]))
                    partitions = PERIODS[cadence["id"]] if spec.get("as_of") else "none"
                    declared[name] = (f"{domain}/{name}", cadence["id"], partitions, roles)
            else:
                name = spec["name"]
                partitions = PERIODS[spec["cadence"]] if spec.get("as_of") else "none"
                declared[name] = (f"{domain}/{name}", spec["cadence"], partitions, spec["owner"])
    return declared


def test_list_names_every_declared_report_without_a_warehouse(tmp_path: Path) -> None:
    env = deployment(tmp_path)
    lines = nexus(env, "report", "--list").splitlines()
    assert not Path(env["NEXUS_DUCKDB_PATH"]).exists()
    assert re.split(r"\s{2,}", lines[0]) == [
        "NAME",
        "ASSET KEY",
        "CADENCE",
        "PARTITIONS",
        "STORE",
        "OWNER",
    ]
    listed = {}
    for line in lines[1:]:
        name, key, cadence, partitions, _store, owner = re.split(r"\s{2,}", line)
        listed[name] = (key, cadence, partitions, owner)
    declared = _declared()
    assert listed == declared
    assert listed["daily_review"][1] == "daily"
    assert listed["scorecard"][1:3] == ("daily", "days_by_month")
    assert listed["health_status_report"][3] == "Infrastructure Maintainer"


def test_markdown_export_is_the_stored_version(demo: dict[str, str], tmp_path: Path) -> None:
    # a report for each cadence, named by its cadence; the newest stored day by default
    out = tmp_path / "daily.md"
    said = nexus(demo, "report", "daily_review", "--out", str(out))
    [(as_of, stored)] = query(
        demo,
        "select as_of, report_markdown from reporting.cadence_reviews where cadence = 'daily' "
        "order by as_of desc limit 1",
    )
    assert f"as of {as_of}" in said
    assert out.read_text(encoding="utf-8") == stored
    assert stored.startswith(f"# Daily review, as of {as_of}")
    # without --out, standard output, the same bytes; the day named gives the same version
    assert nexus(demo, "report", "daily_review", "--as-of", str(as_of)) == stored


def test_html_export_is_self_contained_and_reproducible(
    demo: dict[str, str], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for path in (first, second):
        nexus(demo, "report", "published_content_report", "--format", "html", "--out", str(path))
    page = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()

    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"<title>Published content report, [^<]+</title>", page)
    assert "<style>" in page
    # nothing fetched from elsewhere: no URL in any src or href, no script or stylesheet link
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) == 1 and sources[0].startswith(PICTURE)

    declared = yaml.safe_load((PROJECT_DIR / "assets/domains/content/reports.yaml").read_text())
    [spec] = [s for s in declared["reports"] if s["name"] == "published_content_report"]
    for section in spec["sections"]:
        assert f"<h2>{section['title']}</h2>" in page

    # the fortnight's posts of every platform, from the table the section reads
    [(posts,)] = query(
        demo,
        "select sum(posts)::bigint from content.platform_weekly where platform = 'all' and "
        "week_start in (select distinct week_start from content.platform_weekly "
        "where is_complete order by week_start desc limit 2)",
    )
    assert posts > 0
    row = re.search(r"<td>all</td>\s*<td>([\d,]+)</td>", page)
    assert row and int(row.group(1).replace(",", "")) == posts

    # the pipe tables became HTML tables
    assert "|---|" not in page and "<table>" in page


def test_unknown_report_or_day_and_no_warehouse_fail_in_one_line(
    demo: dict[str, str], tmp_path: Path
) -> None:
    for args, message in [
        (["nope"], r"no report named 'nope'; the reports are: .*\bdaily_review\b.*\bscorecard\b"),
        (
            ["daily_review", "--as-of", "2001-01-01"],
            r"no stored version of daily_review as of 2001-01-01; stored days nearby: "
            r"\d{4}-\d\d-\d\d",
        ),
    ]:
        done = _failing(demo, *args)
        assert re.fullmatch(f"nexus report: {message}.*\n", done), done
    done = _failing(deployment(tmp_path), "health_status_report")
    assert re.fullmatch(r"nexus report: no warehouse at \S+warehouse.duckdb: .*\n", done), done


def _failing(env: dict[str, str], *args: str) -> str:
    """Exit 1 and a single line on standard error, nothing on standard output."""
    done = subprocess.run(
        [NEXUS, "report", *args], env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (1, ""), done
    return done.stderr
