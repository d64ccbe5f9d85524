"""``wsisbench proposals``: compute and cache the mask proposals of a benchmark split (docs/proposals.md)."""
from __future__ import annotations

import ast
from pathlib import Path


def parse_option(text: str) -> tuple[str, object]:
    """``'key=value'`` -> ``(key, value)``, the value read as a Python literal when it is one."""
    import argparse

    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key.strip(), ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key.strip(), value


def register(subparsers) -> None:
    from wsisbench.proposals import DEFAULT_OPTIONS

    parser = subparsers.add_parser(
        "proposals", help="compute and cache class-agnostic mask proposals of a benchmark split",
        description="Compute the mask proposals (OpenCV selective search or graph segmentation) of every image "
                    "of a split of a VOC-layout benchmark and cache them per image in a proposal store "
                    "(default: $WSISBENCH_HOME/proposals/<dataset>/), keyed by the method and its options; "
                    "--recall also prints their best-overlap recall against the ground-truth instances.")
    parser.add_argument("--benchmark", default="mechanism", help="a VOC-layout benchmark (default: %(default)s)")
    parser.add_argument("--data-root", default=None, metavar="DIR", help="the dataset root (real benchmarks)")
    parser.add_argument("--split", default="train", help="split list name (default: %(default)s)")
    parser.add_argument("--method", default="selective_search", choices=sorted(DEFAULT_OPTIONS),
                        help="the generator (default: %(default)s)")
    parser.add_argument("--max-proposals", type=int, default=300, metavar="N", help="(default: %(default)s)")
    parser.add_argument("--option", type=parse_option, action="append", default=[], metavar="KEY=VALUE",
                        help="a generator option, e.g. mode=quality (docs/proposals.md lists them)")
    parser.add_argument("--num-images", type=int, default=0, metavar="N", help="first N images only (0: all)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="the proposal store's root")
    parser.add_argument("--recall", action="store_true", help="also print ABO and recall against the GT")
    parser.set_defaults(func=run)


def run(args) -> int:
    from wsisbench.benchmarks import get_benchmark
    from wsisbench.benchmarks.generated import default_home
    from wsisbench.proposals import ProposalStore
    from wsisbench.proposals.evaluate import evaluate_proposals, format_recall_table, read_image, voc_split_samples

    root = get_benchmark(args.benchmark).resolve_root(args.data_root, {})
    samples = voc_split_samples(root, args.split, args.num_images or None)
    out = args.out or default_home() / "proposals" / root.name
    options = {"max_proposals": args.max_proposals, **dict(args.option)}
    store = ProposalStore(out, args.method, options)
    paths = {s.image_id: s.image_path for s in samples}
    counts = store.ensure(paths, lambda image_id: read_image(paths[image_id]))
    print(f"{len(samples)} images of {args.benchmark} {args.split}: {counts['computed']} computed, "
          f"{counts['cached']} already cached, in {store.dir}")
    if args.recall:
        row = evaluate_proposals(samples, args.method, args.max_proposals, dict(args.option), out)
        print(format_recall_table([row]))
    return 0
