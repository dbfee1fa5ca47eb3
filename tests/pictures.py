"""Reading the pictures the metadata carries, as the UI shows them, for the tests."""

import base64
import io

from matplotlib.figure import Figure
from PIL import Image


def decoded_png(markdown: str) -> Image.Image:
    """The PNG embedded in a picture's markdown (`![caption](data:image/png;base64,...)`)."""
    encoded = markdown.split("data:image/png;base64,", 1)[1].split(")", 1)[0]
    png = base64.b64decode(encoded)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png))


def png_size(figure: Figure, dpi: int) -> tuple[int, int]:
    """The pixel size matplotlib gives the figure at `dpi`, cropped as png_markdown crops."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return Image.open(buffer).size


def twice_the_old_size(picture: Image.Image, figure: Figure) -> bool:
    """Whether the picture has twice the pixels each way of the figure at the old 72 dpi, within
    2 % (text hinted at 144 dpi measures slightly apart, and the tight crop follows it)."""
    old_width, old_height = png_size(figure, 72)
    width, height = picture.size
    return abs(width / old_width - 2) <= 0.04 and abs(height / old_height - 2) <= 0.04
