"""Draw the integration's brand images into custom_components/bobby_camera/brand/.

A flat camera whose lens shows a person, on a transparent background, trimmed, in the sizes of
Home Assistant's brands repository (README "Image specification"): icon.png 256x256 and
icon@2x.png 512x512; logo.png landscape with its shortest side 256 (logo@2x.png: 512); each also
as dark_* for dark themes. HACS 2 and Home Assistant read them from the integration's brand/
folder. Run after changing the drawing, look at the result, commit the PNGs:

    .venv/bin/python scripts/draw_brand.py [--out DIR]

The wordmark uses DejaVu Sans Bold (fonts-dejavu-core) when it is installed, else Pillow's own
font, so a redraw on another machine can differ slightly in the logo's text only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "custom_components" / "bobby_camera" / "brand"
WORK = 2048  # the icon is drawn on a WORK x WORK canvas, then trimmed and scaled down (anti-aliasing)
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)


@dataclass(frozen=True)
class Palette:
    """The colours of one theme."""

    body: str  # the camera, the person in the lens, the first word
    ring: str  # the ring around the lens
    lens: str  # the lens glass, the second word
    light: str  # the detection light


LIGHT = Palette(body="#1F3A56", ring="#FFFFFF", lens="#1EA7E1", light="#FF7A3D")
DARK = Palette(body="#E4EBF2", ring="#1B2633", lens="#3DBEF2", light="#FF8A50")


def _box(*unit: float) -> list[float]:
    """Unit coordinates (0..1) on the work canvas."""
    return [v * WORK for v in unit]


def camera(p: Palette) -> Image.Image:
    """The camera, trimmed to what is drawn, with transparent surroundings."""
    img = Image.new("RGBA", (WORK, WORK), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    # Body and viewfinder bump.
    d.rounded_rectangle(_box(0.14, 0.15, 0.40, 0.32), radius=0.05 * WORK, fill=p.body)
    d.rounded_rectangle(_box(0.04, 0.25, 0.96, 0.86), radius=0.13 * WORK, fill=p.body)
    # The detection light: a person was seen.
    d.ellipse(_box(0.78, 0.32, 0.87, 0.41), fill=p.light)
    # Lens: ring, glass.
    cx, cy = 0.5, 0.56
    d.ellipse(_box(cx - 0.27, cy - 0.27, cx + 0.27, cy + 0.27), fill=p.ring)
    glass = _box(cx - 0.215, cy - 0.215, cx + 0.215, cy + 0.215)
    d.ellipse(glass, fill=p.lens)
    # The person in the glass: head and shoulders, clipped to the glass.
    person = Image.new("L", (WORK, WORK), 0)
    pd = ImageDraw.Draw(person)
    pd.ellipse(_box(cx - 0.075, cy - 0.165, cx + 0.075, cy - 0.015), fill=255)
    pd.ellipse(_box(cx - 0.16, cy + 0.01, cx + 0.16, cy + 0.31), fill=255)
    clip = Image.new("L", (WORK, WORK), 0)
    ImageDraw.Draw(clip).ellipse(glass, fill=255)
    mask = Image.new("L", (WORK, WORK), 0)
    mask.paste(person, (0, 0), clip)
    img.paste(Image.new("RGBA", (WORK, WORK), p.body), (0, 0), mask)
    return img.crop(img.getchannel("A").getbbox())


def fit_square(art: Image.Image, size: int) -> Image.Image:
    """The art scaled to fill a size x size square along its longer side, centred."""
    scale = size / max(art.size)
    w, h = max(1, round(art.width * scale)), max(1, round(art.height * scale))
    out = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    out.paste(art.resize((w, h), Image.Resampling.LANCZOS), ((size - w) // 2, (size - h) // 2))
    return out


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)


def logo(p: Palette, height: int) -> Image.Image:
    """The camera and the wordmark "Bobby Camera" side by side, `height` pixels high, trimmed."""
    scale = 4  # drawn at 4x, scaled down
    h = height * scale
    art = camera(p)
    art = art.resize((round(art.width * h / art.height), h), Image.Resampling.LANCZOS)
    font = _font(round(h * 0.50))
    gap = round(h * 0.16)
    words = (("Bobby ", p.body), ("Camera", p.lens))
    widths = [round(font.getlength(text)) for text, _ in words]
    canvas = Image.new("RGBA", (art.width + gap + sum(widths) + h, h * 2), (0, 0, 0, 0))
    canvas.paste(art, (0, h // 2), art)
    d = ImageDraw.Draw(canvas)
    x = art.width + gap
    for (text, colour), width in zip(words, widths, strict=True):
        # Anchored on the text's middle at the camera's middle.
        d.text((x, h), text, font=font, fill=colour, anchor="lm")
        x += width
    canvas = canvas.crop(canvas.getchannel("A").getbbox())
    # Trimmed: the shortest side is exactly `height` (the brands README's rule).
    ratio = height / min(canvas.size)
    return canvas.resize(
        (round(canvas.width * ratio), round(canvas.height * ratio)), Image.Resampling.LANCZOS
    )


def draw(out: Path) -> list[Path]:
    """Every brand image into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        art = camera(palette)
        wide = logo(palette, 512)
        half = round(wide.width / 2)  # the hDPI logo is exactly twice the other
        images = {
            "icon.png": fit_square(art, 256),
            "icon@2x.png": fit_square(art, 512),
            "logo.png": wide.resize((half, 256), Image.Resampling.LANCZOS),
            "logo@2x.png": wide.resize((2 * half, 512), Image.Resampling.LANCZOS),
        }
        for name, image in images.items():
            path = out / f"{prefix}{name}"
            image.save(path, optimize=True)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write to (default: {OUT})")
    args = parser.parse_args()
    for path in draw(args.out):
        with Image.open(path) as img:
            print(f"{path}: {img.width}x{img.height} {img.mode}")


if __name__ == "__main__":
    main()
