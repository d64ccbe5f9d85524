"""``wsisbench data check``: validate a dataset before a long run (missing, truncated or inconsistent files)."""
from __future__ import annotations

import argparse

from wsisbench.errors import WsisbenchError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="validate a dataset (missing/undecodable files, sizes, palette PNGs, class ids, splits)",
        description="Check every file of a dataset layout and print a summary table; exit 1 when problems "
                    "are found. Layouts: voc (VOC 2012 / embedded), coco (COCO instances json + images), "
                    "lid (LID 2020 track 1).")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--benchmark", help="benchmark name (its layout(s) are checked), e.g. voc2012, coco2017")
    what.add_argument("--layout", choices=["voc", "coco", "lid"], help="check one layout directly")
    parser.add_argument("--data-root", help="dataset folder (default: the benchmark's own root, if it has one)")
    parser.add_argument("--splits", nargs="+", help="splits to check (default: every split found)")
    parser.add_argument("--max-images", type=int, help="check at most N evenly spaced images per split")
    parser.add_argument("--header-only", action="store_true", help="read image headers only (fast, misses truncation)")
    parser.add_argument("--show", type=int, default=30, help="print at most this many problems (default 30)")
    parser.set_defaults(func=run)


def _benchmark_root(name: str, data_root: str | None) -> str | None:
    """The benchmark's resolved root when ``wsisbench.benchmarks`` provides one."""
    try:
        from wsisbench.benchmarks import get_benchmark
    except ImportError:
        return data_root
    try:
        spec = get_benchmark(name)
    except KeyError:
        return data_root
    resolve = getattr(spec, "resolve_root", None)
    return str(resolve(data_root)) if resolve is not None else data_root


def run(args: argparse.Namespace) -> int:
    from wsisbench.datasets.checks import check_dataset

    name = args.benchmark or args.layout
    data_root = _benchmark_root(args.benchmark, args.data_root) if args.benchmark else args.data_root
    if not data_root:
        raise WsisbenchError(f"--data-root is needed to check {name!r}")
    report = check_dataset(name, data_root, args.splits, decode_images=not args.header_only,
                           max_images=args.max_images)
    print(f"dataset check: {name} at {data_root}")
    print(report.summary.to_string(index=False) if len(report.summary) else "(nothing checked)")
    if report.ok:
        print("ok: no problems found")
        return 0
    print(f"\n{len(report.problems)} problem(s):")
    print(report.format_problems(args.show))
    return 1
