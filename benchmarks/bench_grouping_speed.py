"""End-to-end throughput of a fitted PatternGrouper on synthetic product photos.

Groups 1,000 synthetic photos (256x192) with a fitted grouper and prints the
images per second and the time of each stage (read, segment, cut, enhance,
embed, cluster), next to a reference matmul measuring the machine's speed.
The peer, in the same run, is the same grouper fed one photo at a time
(`batch_size=1`) on the first `--peer-photos` photos: what batching buys.

    keras-patterns demo --out demo_out              # writes demo_out/grouper
    python benchmarks/bench_grouping_speed.py --grouper demo_out/grouper
    python benchmarks/bench_grouping_speed.py --grouper demo_out/grouper --photos 200
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


from machine_speed import reference_matmul_gflops  # noqa: E402

import keras_patterns as kp  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grouper", default="demo_out/grouper", help="a saved grouper")
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--peer-photos", type=int, default=100)
    args = parser.parse_args()
    if not (Path(args.grouper) / "config.json").is_file():
        raise SystemExit(
            f"No grouper in {args.grouper}: run `keras-patterns demo --out "
            "demo_out` first, or pass --grouper."
        )
    grouper = kp.PatternGrouper.load(args.grouper, progress=False)
    grouper.batch_size = args.batch_size
    families = len(kp.datasets.PATTERN_FAMILIES)
    with tempfile.TemporaryDirectory() as folder:
        files, garments, _ = kp.datasets.write_synthetic_catalogue(
            Path(folder) / "photos", -(-args.photos // families), seed=2024
        )
        files, garments = files[: args.photos], garments[: args.photos]
        grouper.group(files[: args.batch_size], garments[: args.batch_size])  # warm-up
        start = time.perf_counter()
        result = grouper.group(files, garments=garments)
        seconds = time.perf_counter() - start
        grouper.batch_size = 1
        peer = args.peer_photos
        start = time.perf_counter()
        grouper.group(files[:peer], garments=garments[:peer])
        peer_seconds = time.perf_counter() - start
    print(f"reference float32 matmul: {reference_matmul_gflops():.0f} GFLOP/s")
    print(
        f"{len(files)} photos grouped in {seconds:.1f} s: "
        f"{len(files) / seconds:.1f} images/s ({len(result.failures)} failed, "
        f"{sum(i.enhanced for i in result.items)} enhanced)"
    )
    print(
        f"peer, one photo at a time: {peer / peer_seconds:.1f} images/s on {peer} "
        f"photos; batching x{(len(files) / seconds) / (peer / peer_seconds):.2f}"
    )
    total = sum(result.timings.values())
    for stage, value in result.timings.items():
        print(
            f"  {stage:8s} {value:7.2f} s  {value / total:6.1%}  "
            f"{value / len(files) * 1e3:7.2f} ms/image"
        )


if __name__ == "__main__":
    main()
