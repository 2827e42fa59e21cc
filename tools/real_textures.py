"""Builds a pool of real texture crops from Debian packages, for training.

The embedder preset learns pattern families from procedural textures and,
with this pool, what real photographed and painted textures look like (two
crops of one real image are one texture: instance discrimination). The
images come from Debian packages whose licences allow derived weights, and
never from the sources of the validation and held-out sets (GIMP's and
Inkscape's patterns, Tux Paint's data, the sample images of scikit-image,
scikit-learn and matplotlib):

| package | images | licence |
|---|---|---|
| libreoffice-common | the area-fill bitmaps of `palette/standard.sob` | MPL-2.0 |
| sweethome3d | the floor and wall textures of the jar | GPL-2+ |
| sweethome3d-furniture | textures of the furniture models (no icons) | CC-BY-3.0, CC0 |
| colobot-common-textures | terrain and material textures | GPL-3+ |
| mypaint-data-extras | paper and canvas backgrounds | CC0-1.0 |

Each package is fetched with `apt-get download` into `--cache` and
unpacked there with `dpkg-deb -x`: nothing is installed and nothing outside
the cache is written. Square crops (`--side` pixels) are cut where the
image has texture (not a flat or nearly flat region), at most
`--per-image` per image, from images scaled so their shorter side is at
most `--max-side`. The pool is one `.npz`, written atomically:
`images` `(N, side, side, 3)` uint8, `image_id` `(N,)` (the crop's source
image), `names` (`package:path` of each image) and `sources` (a JSON string:
package, version, licence and the number of images of each). Re-running
reuses the downloads.

    python tools/real_textures.py --out real_textures.npz

The pool is training material; it is not shipped with the package.
"""

import argparse
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from keras_patterns.utils.io import atomic_path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga")
# package -> (licence, how its images are found in the unpacked tree)
SOURCES = {
    "libreoffice-common": ("MPL-2.0", "sob"),
    "sweethome3d": ("GPL-2+", "jar"),
    "sweethome3d-furniture": ("CC-BY-3.0 (CC0-1.0 for BlendSwap-CC-0)", "sh3f"),
    "colobot-common-textures": ("GPL-3+", "files"),
    "mypaint-data-extras": ("CC0-1.0", "files"),
}
# Never trained on: the sources of the validation and held-out sets.
EXCLUDED = (
    "gimp",
    "inkscape",
    "tuxpaint",
    "scikit-image",
    "scikit-learn",
    "matplotlib",
)


def fetch(package, cache):
    """The unpacked tree of `package` in `cache`, downloaded once; its version."""
    for word in EXCLUDED:
        if word in package:
            raise ValueError(f"{package}: a source of the validation sets")
    downloads = cache / "debs"
    downloads.mkdir(parents=True, exist_ok=True)
    debs = sorted(downloads.glob(f"{package}_*.deb"))
    if not debs:
        subprocess.run(
            ["apt-get", "download", "-q", package],
            cwd=downloads,
            check=True,
            capture_output=True,
        )
        debs = sorted(downloads.glob(f"{package}_*.deb"))
    deb = debs[-1]
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = cache / "trees" / package
    if not (tree / ".done").is_file():
        tree.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
        (tree / ".done").write_text(version)
    return tree, version


def _files(tree):
    for path in sorted(tree.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and "/doc/" not in str(path):
            yield str(path.relative_to(tree)), path.read_bytes()


def _zip_members(archive, keep):
    with zipfile.ZipFile(archive) as opened:
        for name in sorted(opened.namelist()):
            if name.lower().endswith(IMAGE_SUFFIXES) and keep(name):
                yield f"{archive.name}/{name}", opened.read(name)


def images_of(package, tree):
    """`(name, bytes)` of every training image of an unpacked package."""
    kind = SOURCES[package][1]
    if kind == "files":
        yield from _files(tree)
    elif kind == "sob":  # the bitmap list is a zip of its pictures
        for archive in sorted(tree.rglob("standard.sob")):
            yield from _zip_members(archive, lambda name: True)
    elif kind == "jar":
        for archive in sorted(tree.rglob("sweethome3d.jar")):
            yield from _zip_members(archive, lambda name: "/textures/" in name)
    elif kind == "sh3f":  # textures sit beside each model; icons at the top
        for archive in sorted(tree.rglob("*.sh3f")):
            yield from _zip_members(archive, lambda name: name.count("/") >= 2)


def textured(crop, min_std=12.0, min_gradient=3.0):
    """Whether a crop holds texture: not flat, and not a smooth ramp."""
    grey = crop.astype(np.float32).mean(axis=2)
    gradient = np.abs(np.diff(grey, axis=1)).mean()
    return grey.std() >= min_std and gradient >= min_gradient


def crops_of(data, rng, side, per_image, max_side, tries=12):
    """Up to `per_image` textured `side`-pixel crops of one encoded image."""
    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception:  # a file Pillow cannot read is skipped
        return []
    width, height = image.size
    if min(width, height) < side // 2:
        return []
    if min(width, height) > max_side:
        factor = max_side / min(width, height)
        image = image.resize(
            (round(width * factor), round(height * factor)), Image.LANCZOS
        )
    array = np.asarray(image)
    height, width = array.shape[:2]
    size = min(side, height, width)
    found = []
    for _ in range(tries):
        top = rng.integers(0, height - size + 1)
        left = rng.integers(0, width - size + 1)
        crop = array[top : top + size, left : left + size]
        if not textured(crop):
            continue
        if size != side:
            crop = np.asarray(Image.fromarray(crop).resize((side, side), Image.BICUBIC))
        found.append(crop)
        if len(found) == per_image:
            break
    return found


def build_pool(packages, cache, side=128, per_image=4, max_side=512, seed=0):
    """The pool as a dict of arrays (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    images, image_ids, names, sources, seen = [], [], [], {}, set()
    for package in packages:
        tree, version = fetch(package, Path(cache))
        count = 0
        for name, data in images_of(package, tree):
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:  # the same texture shipped twice
                continue
            seen.add(digest)
            crops = crops_of(data, rng, side, per_image, max_side)
            if not crops:
                continue
            images += crops
            image_ids += [len(names)] * len(crops)
            names.append(f"{package}:{name}")
            count += 1
        licence = SOURCES[package][0]
        sources[package] = {"version": version, "licence": licence, "images": count}
        print(f"{package} {version} ({licence}): {count} images", flush=True)
    return {
        "images": np.stack(images),
        "image_id": np.array(image_ids, np.int32),
        "names": np.array(names),
        "sources": np.array(json.dumps(sources)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the pool to write (.npz)")
    parser.add_argument(
        "--cache",
        default=str(Path.home() / ".cache" / "keras-patterns" / "debian"),
        help="where the packages are downloaded and unpacked",
    )
    parser.add_argument(
        "--packages", nargs="+", default=list(SOURCES), choices=list(SOURCES)
    )
    parser.add_argument("--side", type=int, default=128, help="crop side (pixels)")
    parser.add_argument("--per-image", type=int, default=4, help="crops per image")
    parser.add_argument(
        "--max-side", type=int, default=512, help="images scaled down to this"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pool = build_pool(
        args.packages, args.cache, args.side, args.per_image, args.max_side, args.seed
    )
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.savez(f, **pool)
    print(f"{len(pool['images'])} crops of {len(pool['names'])} images: {args.out}")


if __name__ == "__main__":
    main()
