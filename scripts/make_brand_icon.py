"""Draw the integration's brand icons (a record dot on a transcript page).

Run with the project's venv: `.venv/bin/python scripts/make_brand_icon.py`.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).parents[1] / "custom_components/mediascribe/brand"
BLUE = (25, 94, 168, 255)
RED = (214, 48, 49, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int) -> Image.Image:
    """Return the icon at size x size pixels, drawn at 4x and scaled down."""
    big = size * 4
    unit = big / 256
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(48 * unit), fill=BLUE)
    pen.rounded_rectangle(
        (int(52 * unit), int(40 * unit), int(172 * unit), int(216 * unit)),
        radius=int(12 * unit),
        fill=WHITE,
    )
    for row in range(5):
        top = int((72 + row * 28) * unit)
        right = 148 if row % 2 else 140
        pen.rounded_rectangle(
            (int(72 * unit), top, int(right * unit), top + int(10 * unit)),
            radius=int(5 * unit),
            fill=BLUE,
        )
    pen.ellipse(
        (int(140 * unit), int(136 * unit), int(228 * unit), int(224 * unit)),
        fill=WHITE,
    )
    pen.ellipse(
        (int(152 * unit), int(148 * unit), int(216 * unit), int(212 * unit)), fill=RED
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    BRAND.mkdir(exist_ok=True)
    draw(256).save(BRAND / "icon.png", optimize=True)
    draw(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
