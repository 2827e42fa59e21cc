"""Regenerates the pictures of the documentation from the synthetic data.

Run from the repository root: ``python docs/make_figures.py``.
"""

from pathlib import Path

from keras_patterns.clustering import KMeans
from keras_patterns.clustering import elbow_plot
from keras_patterns.clustering import embedding_map
from keras_patterns.datasets import PATTERN_FAMILIES
from keras_patterns.datasets import TEXTURE_FAMILIES
from keras_patterns.datasets import labels_to_rgb
from keras_patterns.datasets import make_pattern_garments
from keras_patterns.datasets import make_pattern_patches
from keras_patterns.datasets import make_texture_patches
from keras_patterns.datasets import pattern_swatch
from keras_patterns.models import PatternEmbedder
from keras_patterns.utils.visualization import contact_sheet

STATIC = Path(__file__).parent / "_static"


def product_photos(count=6):
    """The `product_photos` preset on synthetic product photos it never saw:
    each photo with its patches outlined, the segmenter's labels, the
    garments' textured part (`patches.textured_region`), and the first
    patch."""
    import numpy as np
    from PIL import Image
    from PIL import ImageDraw

    from keras_patterns.datasets.synthetic.product_photos import make_product_photos
    from keras_patterns.grouping import PatternGrouper
    from keras_patterns.modeling.labels import PHOTO_CLASSES
    from keras_patterns.patches import textured_region

    data = make_product_photos(count, (384, 288), seed=2024)
    grouper = PatternGrouper.from_preset(
        "product_photos", progress=False, keep_patches=True
    )
    result = grouper.embed(list(data["images"]))
    height, width = grouper.segment_size
    working = np.stack(
        [np.asarray(Image.fromarray(p).resize((width, height))) for p in data["images"]]
    )
    labels = grouper.segmenter.predict_labels(working)
    garment_ids = [PHOTO_CLASSES.index(name) for name in grouper.classes]
    tiles, captions = [], []
    for photo, small, label_map, item in zip(
        data["images"], working, labels, result.items, strict=True
    ):
        outlined = Image.fromarray(photo)
        draw = ImageDraw.Draw(outlined)
        for top, left, bottom, right in item.boxes or ():
            draw.rectangle(
                (left, top, right - 1, bottom - 1), outline=(220, 30, 30), width=3
            )
        shown = labels_to_rgb(label_map, PHOTO_CLASSES)
        patch = (
            item.patch
            if item.patch is not None
            else np.full((64, 64, 3), 255, np.uint8)
        )
        textured = textured_region(small, np.isin(label_map, garment_ids))
        faded = np.where(textured[..., None], small, small // 4 + 180)
        tiles += [np.asarray(outlined), shown, faded.astype(np.uint8), patch]
        captions += [f"cut: {item.class_name}", "segmenter", "textured part", "patch"]
    sheet = contact_sheet(tiles, captions, columns=8, thumb_height=192)
    sheet.save(STATIC / "product_photos.png", optimize=True)


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


def textures(per_family=8):
    """What the `patterns_synthetic` preset trains on: one row per family."""
    count = len(TEXTURE_FAMILIES)
    data = make_texture_patches(count * per_family, (96, 96), seed=5)
    order = sorted(range(len(data["family"])), key=lambda i: data["family"][i])
    tiles = [data["images"][i] for i in order]
    captions = [TEXTURE_FAMILIES[data["family"][i]] for i in order]
    sheet = contact_sheet(tiles, captions, columns=per_family, thumb_height=96)
    sheet.save(STATIC / "texture_families.png", optimize=True)


def clustering():
    """The `patterns_synthetic` preset's embeddings of unseen swatches: the
    scores that choose k, and the map of the groups k-means finds."""
    data = make_pattern_patches(len(PATTERN_FAMILIES) * 12, (64, 64), seed=21)
    vectors = PatternEmbedder.from_preset("patterns_synthetic").embed(data["images"])
    kmeans = KMeans("auto", k_range=(6, 24), metric="cosine", random_state=0)
    groups = kmeans.fit_predict(vectors)
    elbow_plot(kmeans, path=STATIC / "k_scores.png")
    embedding_map(vectors, groups, STATIC / "embedding_map.png")


if __name__ == "__main__":
    STATIC.mkdir(exist_ok=True)
    samples()
    families()
    textures()
    clustering()
    product_photos()
    print("wrote", *sorted(p.name for p in STATIC.glob("*.png")))
