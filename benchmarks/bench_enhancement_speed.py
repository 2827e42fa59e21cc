"""Forward speed of RRDBNet in Keras next to the PyTorch reference network.

Both run the full ESRGAN generator (23 blocks, 16,697,987 parameters) with
the same weights (converted with `RRDBNet.from_torch_checkpoint`) on the
same device, in the same run; the ratio is what matters, as the machine's
speed drifts.

    pip install torch==2.13.0        # CPU wheel
    python benchmarks/bench_enhancement_speed.py
    python benchmarks/bench_enhancement_speed.py --size 32 --repeats 2   # quicker
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from flops import forward_flops  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402

import keras_patterns as kp  # noqa: E402
from tests.enhancement import torch_reference  # noqa: E402


def best_time(fn, repeats):
    fn()  # warm-up (tracing, allocation)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="input side")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu"
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    reference = torch_reference.RRDBNet().eval()  # PyTorch default initialisation
    model = kp.models.RRDBNet.from_torch_checkpoint(
        {k: v.numpy() for k, v in reference.state_dict().items()}
    )
    reference = reference.to(args.device)
    image = np.random.default_rng(0).random(
        (args.batch_size, args.size, args.size, 3), dtype=np.float32
    )
    tensor = torch.from_numpy(image.transpose(0, 3, 1, 2)).to(args.device)

    def run_torch():
        with torch.no_grad():
            out = reference(tensor)
        if args.device == "cuda":
            torch.cuda.synchronize()
        return out

    def run_keras():
        return keras.ops.convert_to_numpy(model.predict_on_batch(image))

    difference = np.abs(
        run_keras() - run_torch().cpu().numpy().transpose(0, 2, 3, 1)
    ).max()
    torch_seconds = best_time(run_torch, args.repeats)
    keras_seconds = best_time(run_keras, args.repeats)
    print(
        f"RRDBNet x4, 23 blocks, input {args.batch_size}x{args.size}x{args.size}, "
        f"best of {args.repeats}"
    )
    flops = forward_flops(model, image)
    print(
        f"  {flops / 1e9:.1f} GFLOP per batch (convolutions); reference float32 "
        f"matmul {reference_matmul_gflops():.0f} GFLOP/s"
    )
    print(
        f"  keras-patterns ({keras.backend.backend()}): {keras_seconds:7.3f} s "
        f"{flops / keras_seconds / 1e9:6.1f} GFLOP/s"
    )
    print(
        f"  PyTorch reference ({args.device}):   {torch_seconds:7.3f} s "
        f"{flops / torch_seconds / 1e9:6.1f} GFLOP/s"
    )
    print(f"  ratio keras / torch: {keras_seconds / torch_seconds:.2f}")
    print(f"  max |keras - torch| on the same input: {difference:.2e}")


if __name__ == "__main__":
    main()
