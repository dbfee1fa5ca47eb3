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


def test_markdown_table_renders_nulls_as_blank_cells() -> None:
    frame = pd.DataFrame({"metric": ["a", "b"], "value": [1.5, None]})
    assert markdown_table(frame) == "| metric | value |\n|---|---|\n| a | 1.5 |\n| b |  |"
    assert markdown_table(frame.iloc[0:0]) == "_no rows_"
