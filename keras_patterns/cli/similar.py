"""`keras-patterns similar`: more like this, from a saved grouper's catalogue."""

import argparse
import sys
from collections.abc import Callable

from keras_patterns.cli.options import count


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the `similar` subcommand through `add` (the subparsers' `add_parser`)."""
    similar = add(
        "similar",
        help="find the catalogue products whose pattern is like each query's",
        description="More like this: for each query image, the K products of the "
        "catalogue a saved grouper was fitted on whose pattern is closest "
        "(PatternGrouper.similar), nearest first with its distance. Prints them, "
        "or writes query,rank,neighbour,distance rows to --out. Exits 1 when a "
        "query failed.",
    )
    similar.add_argument("images", help="query image, or folder of query images")
    similar.add_argument(
        "--grouper", required=True, help="folder written by PatternGrouper.save"
    )
    similar.add_argument("-k", type=count, default=10, help="neighbours per query")
    similar.add_argument("--out", help="CSV file to write instead of printing")
    similar.add_argument("--quiet", action="store_true", help="no progress bars")
    similar.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Prints or writes each query's neighbours; 1 when a query failed."""
    import csv

    from keras_patterns.grouping.inputs import list_inputs
    from keras_patterns.grouping.pattern_grouper import PatternGrouper
    from keras_patterns.utils.io import atomic_path

    grouper = PatternGrouper.load(args.grouper, progress=not args.quiet)
    queries = [source for source, _ in list_inputs(args.images)]
    distances, indices = grouper.similar(queries, k=args.k)
    neighbours = grouper.catalogue.sources_of(indices)
    rows = [
        (query, rank, neighbour, f"{distance:.6f}")
        for query, found, names, far in zip(
            queries, indices, neighbours, distances, strict=True
        )
        for rank, (index, neighbour, distance) in enumerate(
            zip(found, names, far, strict=True), 1
        )
        if index >= 0
    ]
    failed = [
        query for query, found in zip(queries, indices, strict=True) if found[0] < 0
    ]
    if args.out:
        with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("query", "rank", "neighbour", "distance"))
            writer.writerows(rows)
        print(f"{len(queries)} queries, {args.k} neighbours each: {args.out}")
    else:
        for query, rank, neighbour, distance in rows:
            if rank == 1:
                print(query)
            print(f"  {rank:>3}  {distance}  {neighbour}")
    for query in failed:
        print(f"  failed: {query}", file=sys.stderr)
    return 1 if failed else 0
