"""Pictures and tables as the UI's markdown metadata."""

import pandas as pd
from matplotlib.figure import Figure
from pictures import decoded_png, twice_the_old_size

from nexus_pipelines.metadata import markdown_table, png_markdown


def test_png_markdown_embeds_a_small_png_at_twice_the_old_resolution() -> None:
    """The pictures were 72 dpi (a 4 x 3 inch figure about 260 x 210 pixels); now 144."""
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [3, 1, 2])
    axes.set_title("a line")
    text = png_markdown(figure, "a line").value
    picture = decoded_png(text)
    assert twice_the_old_size(picture, figure) and picture.size[0] > 500
    # a palette PNG: about a third of the bytes of the full-colour one matplotlib writes
    assert picture.mode == "P"
    assert len(text) < 30_000
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
