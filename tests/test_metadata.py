"""Pictures and tables as the UI's markdown metadata."""

import base64

import pandas as pd
from matplotlib.figure import Figure

from nexus_pipelines.metadata import markdown_table, png_markdown


def test_png_markdown_embeds_a_small_png() -> None:
    figure = Figure(figsize=(4, 3))
    figure.add_subplot().plot([0, 1, 2], [3, 1, 2])
    text = png_markdown(figure, "a line").value
    encoded = text.split("base64,", 1)[1].split(")", 1)[0]
    png = base64.b64decode(encoded)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 60_000
    assert text.endswith("a line")


def test_markdown_table_renders_values_as_an_analyst_reads_them() -> None:
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-11-24 00:00", "2026-11-24 06:30"]),
            "value": [58.2378223495702, None],
            "small": [0.00123, 0.0],
            "spike": [True, False],
        }
    )
    assert markdown_table(frame) == (
        "| day | value | small | spike |\n|---|---|---|---|\n"
        "| 2026-11-24 | 58.24 | 0.0012 | yes |\n"
        "| 2026-11-24 06:30:00 |  | 0.00 | no |"
    )
    assert markdown_table(frame.iloc[0:0]) == "_no rows_"
