"""Trains the `textures_x4` enhancer preset shipped with keras-patterns.

A reduced RRDBNet (4 RRDB blocks of 48 features, growth 24: 1.7 M
parameters against the 16.7 M of the original ESRGAN generator), x4, trained
with L1 (the PSNR phase of the package's ESRGAN recipe) on 32-pixel crops of
real texture photographs: the pool of `tools/real_textures.py`, drawn from
Debian packages that are not the sources of the validation sets. Each
package's version and licence goes into the preset's `metadata.json`.

    python tools/train_enhancer.py --real-textures real_textures.npz \\
        --out runs/textures_x4 --val ../shared/data/real_patterns_val.npz

With `--val`, the card records the PSNR of the enhancer and of bicubic on
the validation crops downscaled x4, on each half by source
(`bench_real_patterns.split_by_source`): the recipe was chosen on the
selection half; the report half is the figure to quote. A stopped run goes
on from its last backup (`OUT.backup`) when run again. Copy the folder into
`keras_patterns/presets/` to ship it; `benchmarks/bench_enhancer_preset.py`
measures what it does for grouping.
"""

import argparse
import datetime
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.enhancement.sr_data import super_resolution_dataset  # noqa: E402
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic  # noqa: E402
from keras_patterns.utils.budget import fit_with_budget  # noqa: E402
from keras_patterns.utils.presets import save_preset  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_real_patterns  # noqa: E402

# Chosen on the selection half of the validation crops: 600 steps gave
# +1.03 dB over bicubic there (25.91 against 24.88 dB) in 687 s on 2 cores.
RECIPE = {
    "scale": 4,
    "num_blocks": 4,
    "filters": 48,
    "growth": 24,
    "patch_size": 32,  # low-resolution side; the target is 128 px
    "batch": 16,
    "steps": 600,
    "learning_rate": 1e-3,  # Adam (beta_2 0.99), cosine decay to 5 %
    "loss": "L1 (ESRGAN's PSNR phase)",
}


def train(seed, out, real_textures, recipe=RECIPE, val=None):
    """Trains the enhancer into the preset folder `out` and returns it."""
    pool = np.load(real_textures)
    images, sources = pool["images"], json.loads(str(pool["sources"]))
    keras.utils.set_random_seed(seed)
    pairs = super_resolution_dataset(
        images,
        recipe["scale"],
        patch_size=recipe["patch_size"],
        batch_size=recipe["batch"],
        seed=seed,
    )
    generator = kp.models.RRDBNet(
        recipe["scale"],
        num_blocks=recipe["num_blocks"],
        filters=recipe["filters"],
        growth=recipe["growth"],
        image_residual=True,
    )
    model = kp.models.ESRGAN(generator)
    schedule = keras.optimizers.schedules.CosineDecay(
        recipe["learning_rate"], recipe["steps"], alpha=0.05
    )
    model.compile(
        phase="psnr",
        generator_optimizer=keras.optimizers.Adam(schedule, beta_2=0.99),
    )
    began = time.perf_counter()
    fit_with_budget(model, pairs, recipe["steps"], backup=str(out) + ".backup")
    metadata = {
        "description": (
            "Reduced RRDBNet (4 blocks, 48 features) that upscales small "
            "pattern patches x4, trained with L1 on real texture photographs"
        ),
        "task": "enhancer",
        "scale": recipe["scale"],
        "trained_on": (
            f"{len(images)} real texture photographs from Debian packages "
            "(tools/real_textures.py; not the sources of the validation sets)"
        ),
        "recipe": recipe,
        "training_sources": sources,
        "training": {
            "command": shlex.join(["python", "tools/train_enhancer.py", *sys.argv[1:]]),
            "seed": seed,
            "seconds": round(time.perf_counter() - began),
            "date": datetime.date.today().isoformat(),
            "machine": f"{os.cpu_count()} CPU cores",
            "keras_patterns_version": kp.__version__,
        },
    }
    if val:
        metadata["validation"] = psnr_figures(generator, val)
    return save_preset(generator, out, metadata)


def psnr_figures(generator, val):
    """PSNR (Y, 4 px shaved) of the enhancer and bicubic, x4, on each half."""
    data = np.load(val)
    selection, report = bench_real_patterns.split_by_source(
        data["labels"], data["source_ids"], 0
    )
    figures = {}
    for part, mask in (("selection", selection), ("report", report)):
        net, bicubic = psnr_against_bicubic(generator, data["images"][mask])
        figures[part] = {"psnr": round(net, 2), "bicubic_psnr": round(bicubic, 2)}
        print(f"{part}: enhancer {net:.2f} dB, bicubic {bicubic:.2f} dB")
    report = figures["report"]
    return {
        "data": (
            f"{len(data['images'])} real pattern crops (validation only), "
            "downscaled x4 with antialiased bicubic, split by source; PSNR on "
            "the Y channel, 4 pixels shaved"
        ),
        "report_half": {
            "psnr_gain_db": round(report["psnr"] - report["bicubic_psnr"], 2)
        },
        "parts": figures,
        "command": "python benchmarks/bench_enhancer_preset.py --data FILE.npz",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-textures", required=True, help="the texture pool")
    parser.add_argument("--out", required=True, help="the preset folder to write")
    parser.add_argument("--val", help="the validation crops (.npz), to measure")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, help="override the recipe's steps")
    args = parser.parse_args()
    recipe = dict(RECIPE, steps=args.steps or RECIPE["steps"])
    print("wrote", train(args.seed, args.out, args.real_textures, recipe, args.val))


if __name__ == "__main__":
    main()
