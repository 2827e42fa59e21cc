"""Regenerates ``docs/_static/report.png``: a grouping report, as a browser shows it.

Run from the repository root: ``python docs/make_report_screenshot.py``
(needs Chromium: ``chromium`` or ``chromium-browser`` on the path).

Groups a small synthetic catalogue (product photos of five pattern
families, plus a file that is not an image and a photo with no garment)
with the installed ``patterns_synthetic`` embedder preset, writes the
report with ``GroupingResult.to_html`` and screenshots it with headless
Chromium. So that the script runs in seconds without training a
segmenter, a stand-in returns the synthetic scenes' own masks (as the
grouping tests do); the patches, the embedder and the grouping are the
library's.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import keras_patterns as kp

STATIC = Path(__file__).parent / "_static"
FAMILIES = ["polka_dots", "plaid", "horizontal_stripes", "floral", "camouflage"]


class MaskSegmenter:
    """Returns the drawn 9-class mask of each known photo (a stand-in)."""

    num_classes = 9

    def __init__(self, images, masks):
        self.masks = {
            image.tobytes(): kp.datasets.remap_classes(mask)
            for image, mask in zip(images, masks, strict=True)
        }

    def predict_labels(self, images, batch_size=32):
        blank = np.zeros(np.shape(images[0])[:2], np.uint8)
        return [self.masks.get(np.asarray(i).tobytes(), blank) for i in images]


def write_catalogue(folder, per_family):
    """PNG photos (lossless, so the stand-in finds their masks) and two failures.

    Returns:
        The files, the garment each sells and the stand-in segmenter.
    """
    data = kp.datasets.make_pattern_garments(
        per_family * len(FAMILIES), (256, 192), seed=7, families=FAMILIES
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (image, garment) in enumerate(
        zip(data["images"], data["garment"], strict=True)
    ):
        files.append(folder / f"SKU-{1040 + i} {garment}.png")
        Image.fromarray(image).save(files[-1])
    files.append(folder / "SKU-1098 empty.png")
    Image.fromarray(np.full((256, 192, 3), 236, np.uint8)).save(files[-1])
    files.append(folder / "SKU-1099 broken.jpg")
    files[-1].write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    garments = [*data["garment"], None, None]  # what the shop sells in each photo
    return files, garments, MaskSegmenter(data["images"], data["masks"])


def screenshot(page, png, size=(1200, 2250)):
    """Renders `page` with headless Chromium into `png`."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def trim(image, margin=24):
    """`image` without the rows of plain background below the page's end."""
    pixels = np.asarray(image)
    differs = (pixels != pixels[-1:, :1]).any(axis=(1, 2))
    last = int(np.flatnonzero(differs).max()) if differs.any() else pixels.shape[0]
    return image.crop((0, 0, image.width, min(image.height, last + margin)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the report here")
    parser.add_argument("--per-family", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = (args.out or Path(scratch)).resolve()
        out.mkdir(parents=True, exist_ok=True)
        os.chdir(out)  # the page then names the photos "photos/..."
        files, garments, segmenter = write_catalogue(Path("photos"), args.per_family)
        grouper = kp.PatternGrouper.from_preset(
            "patterns_synthetic",
            segmenter=segmenter,
            clusterer=kp.clustering.KMeans(
                len(FAMILIES), metric="cosine", random_state=0
            ),
            progress=False,
        )
        result = grouper.group(files, garments=garments)
        page = result.to_html(out / "report", per_group=6, title="Spring catalogue")
        shot = out / "screenshot.png"
        screenshot(page, shot)
        image = trim(Image.open(shot).convert("RGB"))
        # A palette of 128 colours keeps the picture sharp and small.
        image = image.quantize(128, method=Image.Quantize.MEDIANCUT)
        STATIC.mkdir(exist_ok=True)
        image.save(STATIC / "report.png", optimize=True)
    size = (STATIC / "report.png").stat().st_size
    print(f"{result}; wrote {STATIC / 'report.png'} ({size // 1024} KB)")


if __name__ == "__main__":
    main()
