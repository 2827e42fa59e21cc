"""Regenerates the pictures of the documentation from the synthetic data.

Run from the repository root: ``python docs/make_figures.py``.
"""

from pathlib import Path

from keras_patterns.datasets import PATTERN_FAMILIES
from keras_patterns.datasets import labels_to_rgb
from keras_patterns.datasets import make_pattern_garments
from keras_patterns.datasets import pattern_swatch
from keras_patterns.utils.visualization import contact_sheet

STATIC = Path(__file__).parent / "_static"


def samples():
    data = make_pattern_garments(12, image_size=(256, 192), seed=11)
    tiles, captions = [], []
    for image, mask, family in zip(
        data["images"], data["masks"], data["pattern"], strict=True
    ):
        tiles += [image, labels_to_rgb(mask)]
        captions += [PATTERN_FAMILIES[family], "mask"]
    sheet = contact_sheet(tiles, captions, columns=8, thumb_height=192)
    sheet.save(STATIC / "synthetic_samples.png", optimize=True)


def families():
    tiles = [pattern_swatch(f, (96, 96), seed=3) for f in PATTERN_FAMILIES]
    sheet = contact_sheet(tiles, list(PATTERN_FAMILIES), columns=8, thumb_height=96)
    sheet.save(STATIC / "pattern_families.png", optimize=True)


if __name__ == "__main__":
    STATIC.mkdir(exist_ok=True)
    samples()
    families()
    print("wrote", *sorted(p.name for p in STATIC.glob("*.png")))
