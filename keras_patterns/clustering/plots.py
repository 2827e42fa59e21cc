"""A picture of the scores behind `KMeans(n_clusters="auto")`, drawn with Pillow."""

from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont
from sklearn.utils.validation import check_is_fitted

from keras_patterns.clustering.kmeans import KMeans


def _polyline(draw, points, box, low, high, color):
    left, top, right, bottom = box
    ks = [k for k, _ in points]
    span_k = max(ks[-1] - ks[0], 1)
    span_v = max(high - low, 1e-12)
    coords = [
        (
            left + (k - ks[0]) / span_k * (right - left),
            bottom - (v - low) / span_v * (bottom - top),
        )
        for k, v in points
    ]
    draw.line(coords, fill=color, width=2)
    for x, y in coords:
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=color)
    return coords


def elbow_plot(kmeans: KMeans, size: tuple[int, int] = (560, 320)) -> Image.Image:
    """Silhouette (blue) and inertia (grey) against k, with the chosen k marked.

    Args:
        kmeans: a `KMeans` fitted with `n_clusters="auto"`.
        size: `(width, height)` in pixels.

    Returns:
        A `PIL.Image.Image`; save it with `.save("k_scores.png")`.
    """
    check_is_fitted(kmeans, "k_scores_")
    if not kmeans.k_scores_:
        raise ValueError('elbow_plot needs a KMeans fitted with n_clusters="auto".')
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    box = (50, 30, width - 20, height - 40)
    draw.rectangle(box, outline="#999999")
    scores = sorted(kmeans.k_scores_.items())
    inertias = sorted(kmeans.k_inertias_.items())
    values = [v for _, v in inertias]
    _polyline(draw, inertias, box, min(values), max(values), "#aaaaaa")
    coords = _polyline(
        draw,
        scores,
        box,
        min(v for _, v in scores),
        max(v for _, v in scores),
        "#1f5fbf",
    )
    chosen = [k for k, _ in scores].index(kmeans.n_clusters_)
    x, _ = coords[chosen]
    draw.line((x, box[1], x, box[3]), fill="#c0392b", width=1)
    for k, (cx, _) in zip([k for k, _ in scores], coords, strict=True):
        draw.text((cx - 4, box[3] + 6), str(k), fill="black", font=font)
    draw.text(
        (box[0], 8),
        f"silhouette (blue), inertia (grey); chosen k = {kmeans.n_clusters_}",
        fill="black",
        font=font,
    )
    draw.text((box[0], height - 16), "k", fill="black", font=font)
    return image
