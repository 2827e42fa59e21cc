"""Tiny DeepFashion In-shop trees written by hand in the documented formats."""

from pathlib import Path

import numpy as np
from PIL import Image

from keras_patterns.datasets import INSHOP_COLORS

PARTITION = """5
image_name item_id evaluation_status
img/WOMEN/Dresses/id_00000002/02_1_front.jpg id_00000002 train
img/WOMEN/Dresses/id_00000002/02_2_side.jpg id_00000002 train
img/MEN/Denim/id_00000080/01_1_front.jpg id_00000080 query
img/MEN/Denim/id_00000080/01_3_back.jpg id_00000080 gallery
img/WOMEN/Blouses_Shirts/id_00000120/03_7_additional.jpg id_00000120 gallery
"""
BBOX = """5
image_name clothes_type pose_type x_1 y_1 x_2 y_2
img/WOMEN/Dresses/id_00000002/02_1_front.jpg 3 1 50 49 208 235
img/WOMEN/Dresses/id_00000002/02_2_side.jpg 3 2 48 50 200 240
img/MEN/Denim/id_00000080/01_1_front.jpg 2 1 80 120 170 250
img/MEN/Denim/id_00000080/01_3_back.jpg 2 3 81 118 171 251
img/WOMEN/Blouses_Shirts/id_00000120/03_7_additional.jpg 1 6 10 20 230 200
"""
ITEMS = """3
id_00000002
id_00000080
id_00000120
"""
# Which images have a high-resolution mask, and in which PNG mode.
MASKS = {
    "img/WOMEN/Dresses/id_00000002/02_1_front.jpg": "RGB",
    "img/MEN/Denim/id_00000080/01_1_front.jpg": "RGBA",
    "img/MEN/Denim/id_00000080/01_3_back.jpg": "RGB",
}
HIGHRES = (22, 15)  # (height, width), like 1101x750 but tiny
LOWRES = (16, 16)


def label_map(seed, size=HIGHRES):
    """A random 16-class label map with hair high and footwear low."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 16, size=size).astype(np.uint8)
    labels[0, :] = 9
    labels[-1, :] = 15
    return labels


def write_image(path, size, seed, fmt="JPEG"):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt, quality=95)


def write_original(root, with_lists=True):
    """The original layout of DEEPFASHION.md section 1, five images."""
    root = Path(root)
    (root / "Eval").mkdir(parents=True)
    (root / "Eval/list_eval_partition.txt").write_text(PARTITION)
    if with_lists:
        (root / "Anno").mkdir()
        (root / "Anno/list_bbox_inshop.txt").write_text(BBOX)
        (root / "Anno/list_item_inshop.txt").write_text(ITEMS)
    labels = {}
    for i, line in enumerate(PARTITION.splitlines()[2:]):
        name = line.split()[0]
        write_image(root / name, LOWRES, seed=i)
        high = root / name.replace("img/", "img_highres/", 1)
        write_image(high, HIGHRES, seed=100 + i)
        if name in MASKS:
            labels[name] = label_map(i)
            rgb = INSHOP_COLORS[labels[name]]
            if MASKS[name] == "RGBA":
                alpha = np.full((*HIGHRES, 1), 200, np.uint8)
                rgb = np.concatenate([rgb, alpha], axis=-1)
            Image.fromarray(rgb, MASKS[name]).save(
                high.with_name(high.stem + "_segment.png")
            )
    return labels


def write_flat(root):
    """The flat layout of DEEPFASHION.md section 3: 3 images, 2 masks."""
    root = Path(root)
    for i, name in enumerate(["1000_011", "1000_012", "1001_021"]):
        write_image(root / "images" / f"{name}.jpg", HIGHRES, seed=i)
        if name != "1000_012":
            (root / "masks").mkdir(parents=True, exist_ok=True)
            Image.fromarray(label_map(i), "L").save(root / "masks" / f"{name}.png")
