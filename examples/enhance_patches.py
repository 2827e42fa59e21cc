"""Upscale small patches x4 with an RRDBNet (stage 3): the preset, official or trained.

    python examples/enhance_patches.py --out sr_out          # the textures_x4 preset
    python examples/enhance_patches.py --checkpoint RRDB_ESRGAN_x4.pth --out sr_out
    python examples/enhance_patches.py --train --out sr_out  # trains a small one
    python examples/enhance_patches.py --quick --out /tmp/sr            # CI size

`--checkpoint` takes an official ESRGAN or Real-ESRGAN `.pth` (read with
PyTorch) or a `.keras` file. `OUT/enhanced.png` shows, per patch, the small
input, bicubic x4, the network's x4 and the original; the PSNR of both is
printed. A network trained here (`--train`) also leaves `OUT/curves.png`
(L1 loss per epoch).
"""

import argparse
from pathlib import Path

import keras
import numpy as np

import keras_patterns as kp
from keras_patterns.apps import recipes
from keras_patterns.utils.figures import plot_history
from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.visualization import contact_sheet


def load_generator(path):
    if path.endswith(".keras"):
        return keras.saving.load_model(path, safe_mode=True)
    return kp.models.RRDBNet.from_torch_checkpoint(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="official .pth or a .keras RRDBNet")
    parser.add_argument("--out", default="sr_out")
    parser.add_argument(
        "--train", action="store_true", help="train a small one on synthetic fabric"
    )
    parser.add_argument("--steps", type=int, default=300, help="training steps")
    parser.add_argument("--quick", action="store_true", help="small run (CI)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.checkpoint:
        generator = load_generator(args.checkpoint)
    elif not args.train:
        generator = kp.models.RRDBNet.from_preset("textures_x4")
    else:
        generator = recipes.train_enhancer(
            4 if args.quick else args.steps, patches=64 if args.quick else 1200
        )
        generator.save(out / "enhancer.keras")
        plot_history(generator.history, out / "curves.png", title="x4 RRDBNet, L1")

    high = kp.datasets.make_pattern_patches(4 if args.quick else 8, (96, 96), seed=77)[
        "images"
    ]
    low = np.round(kp.enhancement.degrade(tf.constant(high / 255.0), 4).numpy() * 255)
    low = low.astype(np.uint8)
    enhanced = kp.enhancement.upscale(generator, low)
    bicubic = tf.image.resize(low.astype("float32"), (96, 96), method="bicubic").numpy()
    bicubic = np.clip(np.round(bicubic), 0, 255).astype(np.uint8)
    tiles, captions = [], []
    for i in range(len(high)):
        tiles += [low[i], bicubic[i], enhanced[i], high[i]]
        captions += ["input 24x24", "bicubic x4", "RRDBNet x4", "original"]
    contact_sheet(tiles, captions, columns=8, thumb_height=128).save(
        out / "enhanced.png"
    )
    print(
        f"PSNR (Y): RRDBNet {kp.metrics.psnr(enhanced, high, y_channel=True):.2f} dB, "
        f"bicubic {kp.metrics.psnr(bicubic, high, y_channel=True):.2f} dB; "
        f"saved {out / 'enhanced.png'}"
    )


if __name__ == "__main__":
    main()
