"""Grouping throughput of a fitted PatternGrouper against its models' own bound.

Groups the demo's catalogue (JPEG files) with the demo's fitted grouper and
prints, per stage, the milliseconds per photo next to the **bound**: one
pure batched forward pass of the same models over the same work, measured in
the same run (the segmenter over the photos at its input size, the embedder
over every patch view, the enhancer over the small patches at their own
sizes, all through the models' compiled predict functions, traced
beforehand). The ratio end-to-end / bound is what the glue (decoding, Python
loops, per-call set-up, resizing) costs on top of the math. Each model's
achieved GFLOP/s (its convolution and dense FLOPs, `flops.forward_flops`)
is printed beside a same-run reference float32 matmul.

Three configurations: the demo grouper as saved; the same grouper with an
x4 RRDBNet enhancer of the demo recipe's size (random weights: the cost is
the same) enhancing every patch below `patch_size`, as a grouper of small
photos does; and, where `bfloat16_is_fast()`, the grouper as saved with its
embedder computing in mixed bfloat16 (`utils.precision.with_dtype_policy`),
compared with the float32 grouping.

With `--baseline SRC`, the same measurement runs in a subprocess on another
checkout of the package (`git worktree add /tmp/kp_old <commit>`, then
`--baseline /tmp/kp_old`): photos/s before and after, in one run, and the
two groupings compared (NMI against the catalogue's pattern families, and
the agreement between the two, as adjusted Rand index).

    keras-patterns demo --out demo_out
    python benchmarks/bench_grouping_speed.py --demo demo_out
    python benchmarks/bench_grouping_speed.py --demo demo_out --baseline /tmp/kp_old
    KERAS_BACKEND=jax python benchmarks/bench_grouping_speed.py --demo demo_out
    python benchmarks/bench_grouping_speed.py --demo demo_out --photo-height 1600
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from flops import forward_flops  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

import keras_patterns as kp  # noqa: E402

CONFIGS = ("as saved", "with enhancer")
# Measured after the others, against the baseline's "as saved" grouping.
BFLOAT16 = "bfloat16 embedder"


def load_catalogue(demo, photos, folder=None):
    """The demo catalogue's files (in `folder` if given), garments and patterns."""
    with open(Path(demo) / "catalogue.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise SystemExit(f"{demo}/catalogue.csv lists no photo.")
    rows = (rows * -(-photos // len(rows)))[:photos]
    folder = Path(folder or Path(demo) / "catalogue")
    files = [str(folder / row["file"]) for row in rows]
    return files, [row["garment"] for row in rows], [row["pattern"] for row in rows]


def enlarge_catalogue(demo, height, folder):
    """Bicubic copies of the demo's photos, `height` pixels high, as JPEG files."""
    from PIL import Image

    for source in sorted((Path(demo) / "catalogue").glob("*.jpg")):
        with Image.open(source) as image:
            width = round(image.width * height / image.height)
            large = image.convert("RGB").resize((width, height), Image.BICUBIC)
        large.save(Path(folder) / source.name, quality=90)
    return folder


def make_grouper(demo, config):
    grouper = kp.PatternGrouper.load(Path(demo) / "grouper", progress=False)
    if config == "with enhancer":
        grouper.enhancer = kp.models.RRDBNet(
            4, num_blocks=2, filters=32, growth=16, image_residual=True
        )
        grouper.enhance_below = grouper.patch_size
    if config == BFLOAT16:
        from keras_patterns.utils.precision import with_dtype_policy

        grouper.embedder = with_dtype_policy(grouper.embedder, "mixed_bfloat16")
    return grouper


def time_grouping(grouper, files, garments):
    """Seconds of `grouper.group` (after one traced warm-up chunk), and its result."""
    grouper.group(files[: grouper.batch_size], garments[: grouper.batch_size])
    start = time.perf_counter()
    result = grouper.group(files, garments)
    return time.perf_counter() - start, result


class Workload:
    """Records what the grouper gives each model, to replay it as the bound."""

    def __init__(self, grouper):
        self.photos, self.views, self.small = 0, 0, []
        segmenter, embedder = grouper.segmenter, grouper.embedder
        for name in ("predict_logits", "predict_labels"):
            original = getattr(segmenter, name)
            setattr(segmenter, name, self._counting(original, "photos"))
        embedder.embed = self._counting(embedder.embed, "views")
        from keras_patterns.grouping import pattern_grouper

        original = pattern_grouper.upscale_patches

        def upscale_patches(generator, patches, **kwargs):
            self.small += [patch.shape[:2] for patch in patches]
            return original(generator, patches, **kwargs)

        pattern_grouper.upscale_patches = upscale_patches

    def _counting(self, method, counter):
        def counted(images, *args, **kwargs):
            setattr(self, counter, getattr(self, counter) + len(images))
            return method(images, *args, **kwargs)

        return counted


def forward_seconds(model, shape, count, batch_size):
    """Best of two timings of the pure batched forward over `count` inputs."""
    from keras_patterns.utils.inference import predict_batches  # not in --baseline

    inputs = np.random.default_rng(0).random((count, *shape), dtype=np.float32)
    predict_batches(model, inputs, batch_size)  # traces the batch shapes used below
    times = []
    for _ in range(2):
        start = time.perf_counter()
        predict_batches(model, inputs, batch_size)
        times.append(time.perf_counter() - start)
    return min(times), forward_flops(model, inputs[:1]) * count


def bound(grouper, workload):
    """Per-model (seconds, FLOPs) of the pure forward over the recorded work."""
    size = (*grouper.segment_size, 3)
    side = (grouper.patch_size, grouper.patch_size, 3)
    result = {
        "segment": forward_seconds(grouper.segmenter, size, workload.photos, 32),
        "embed": forward_seconds(grouper.embedder, side, workload.views, 128),
    }
    if workload.small:
        seconds = flops = 0.0
        for shape in sorted(set(workload.small)):
            count = workload.small.count(shape)
            s, f = forward_seconds(grouper.enhancer, (*shape, 3), count, 32)
            seconds, flops = seconds + s, flops + f
        result["enhance"] = (seconds, flops)
    return result


def measure(demo, photos, config, folder=None):
    """One configuration: the grouping's time, stages and assignments."""
    files, garments, patterns = load_catalogue(demo, photos, folder)
    grouper = make_grouper(demo, config)
    seconds, result = time_grouping(grouper, files, garments)
    truth = [patterns[item.index] for item in result.items if item.ok]
    found = [item.group for item in result.items if item.ok]
    return {
        "seconds": seconds,
        "photos": len(files),
        "timings": result.timings,
        "assignments": result.assignments.tolist(),
        "nmi": normalized_mutual_info_score(truth, found),
        "enhanced": int(sum(item.enhanced for item in result.items)),
    }


def report(config, new, old, models, flops_rate):
    photos = new["photos"]
    total_bound = sum(seconds for seconds, _ in models.values())
    print(f"\n== {config}: {photos} photos, {new['enhanced']} enhanced ==")
    print(f"{'stage':8s} {'ms/photo':>9s} {'bound':>9s} {'GFLOP/s':>8s}")
    for stage, value in new["timings"].items():
        if not value and stage not in models:
            continue
        seconds, flops = models.get(stage, (None, None))
        bound_ms = "" if seconds is None else f"{seconds / photos * 1e3:9.2f}"
        rate = "" if seconds is None else f"{flops / seconds / 1e9:8.1f}"
        print(f"{stage:8s} {value / photos * 1e3:9.2f} {bound_ms:>9s} {rate:>8s}")
    ratio = new["seconds"] / total_bound
    print(
        f"end to end {new['seconds']:.1f} s = {photos / new['seconds']:.1f} photos/s; "
        f"pure forward {total_bound:.1f} s; ratio {ratio:.2f} "
        f"(reference matmul {flops_rate:.0f} GFLOP/s)"
    )
    print(f"NMI against the pattern families {new['nmi']:.3f}")
    if old is not None:
        ok = [
            i
            for i, (a, b) in enumerate(
                zip(new["assignments"], old["assignments"], strict=True)
            )
            if a >= 0 and b >= 0
        ]
        agreement = adjusted_rand_score(
            [new["assignments"][i] for i in ok], [old["assignments"][i] for i in ok]
        )
        print(
            f"before: {photos / old['seconds']:.1f} photos/s, NMI {old['nmi']:.3f}; "
            f"speed-up x{old['seconds'] / new['seconds']:.2f}; "
            f"assignments before/after agree at ARI {agreement:.3f}"
        )


def run_baseline(source, args):
    """This script's `--json` measurement on another checkout, in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(Path(source).resolve()))
    command = [sys.executable, __file__, "--demo", args.demo, "--photos"]
    command += [str(args.photos), "--json"]
    if args.photo_folder:
        command += ["--photo-folder", args.photo_folder]
    output = subprocess.run(
        command, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default="demo_out", help="a demo output folder")
    parser.add_argument("--photos", type=int, default=320)
    parser.add_argument("--baseline", help="another checkout to compare against")
    parser.add_argument(
        "--photo-height",
        type=int,
        help="group bicubic copies of the photos this many pixels high "
        "(a real catalogue's size, such as 1600) instead of the demo's own",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--photo-folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (Path(args.demo) / "grouper" / "config.json").is_file():
        raise SystemExit(
            f"No demo output in {args.demo}: run `keras-patterns demo --out "
            f"{args.demo}` first, or pass --demo."
        )
    if args.json:  # the baseline's side: plain measurements only
        print(
            json.dumps(
                {
                    config: measure(args.demo, args.photos, config, args.photo_folder)
                    for config in CONFIGS
                }
            )
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        if args.photo_height:
            args.photo_folder = enlarge_catalogue(args.demo, args.photo_height, folder)
        run(args)


def run(args):
    old = run_baseline(args.baseline, args) if args.baseline else {}
    size = f", photos {args.photo_height} px high" if args.photo_height else ""
    print(f"{keras.backend.backend()} backend, {os.cpu_count()} CPUs{size}")
    for config in (*CONFIGS, BFLOAT16):
        if config == BFLOAT16 and not kp.utils.precision.bfloat16_is_fast():
            continue
        files, garments, _ = load_catalogue(args.demo, args.photos, args.photo_folder)
        grouper = make_grouper(args.demo, config)
        workload = Workload(grouper)
        time_grouping(grouper, files, garments)
        models = bound(grouper, workload)
        new = measure(args.demo, args.photos, config, args.photo_folder)
        before = old.get("as saved" if config == BFLOAT16 else config)
        report(config, new, before, models, reference_matmul_gflops())


if __name__ == "__main__":
    main()
