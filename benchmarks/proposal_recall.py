"""Best-overlap recall of mask proposals against ground-truth instances on a benchmark split.

For each generator (``wsisbench.proposals.mask_proposals``), computes the proposals of the first N images of
a split of a VOC-layout benchmark (the generated ``mechanism`` / ``embedded`` benchmarks, or VOC 2012 under
``--data-root``), and prints ABO (mean over GT instances of the best IoU with any proposal), the recall at
IoU 0.5 and 0.7, the mean number of proposals and the generator's time per image (one OpenCV thread; image
decoding excluded). See docs/proposals.md.

    python benchmarks/proposal_recall.py [--benchmark mechanism] [--split val] [--num-images 200] \
        [--method selective_search graph] [--max-proposals 300] [--option mode=quality ...] [--json out.json]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsisbench.benchmarks import get_benchmark  # noqa: E402
from wsisbench.cli.proposals import parse_option  # noqa: E402
from wsisbench.proposals import DEFAULT_OPTIONS  # noqa: E402
from wsisbench.proposals.evaluate import evaluate_proposals, format_recall_table, voc_split_samples  # noqa: E402
from wsisbench.utils.atomic import atomic_write_json  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default="mechanism", help="a VOC-layout benchmark (default: %(default)s)")
    parser.add_argument("--data-root", default=None, help="the dataset root (real benchmarks only)")
    parser.add_argument("--split", default="val", help="split list under ImageSets/Segmentation (default: %(default)s)")
    parser.add_argument("--num-images", type=int, default=200,
                        help="first N images of the split; 0: all (default: %(default)s)")
    parser.add_argument("--method", nargs="+", default=sorted(DEFAULT_OPTIONS), choices=sorted(DEFAULT_OPTIONS),
                        help="generators to compare (default: all)")
    parser.add_argument("--max-proposals", type=int, default=300, help="(default: %(default)s)")
    parser.add_argument("--option", type=parse_option, action="append", default=[], metavar="KEY=VALUE",
                        help="a generator option, for the one method given (e.g. mode=quality, ks=[100,300])")
    parser.add_argument("--store", type=Path, default=None, help="cache proposals in this ProposalStore root")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    options = dict(args.option)
    if options and len(args.method) > 1:
        parser.error("--option applies to one generator: name it with --method")

    root = get_benchmark(args.benchmark).resolve_root(args.data_root, {})
    samples = voc_split_samples(root, args.split, args.num_images or None)
    rows = [evaluate_proposals(samples, method, args.max_proposals, options, args.store) for method in args.method]
    num_gt = rows[0]["num_gt"] if rows else 0
    print(f"\nproposals on {args.benchmark} ({root.name}), split {args.split}: {len(samples)} images, {num_gt} GT "
          f"instances, at most {args.max_proposals} proposals per image")
    print(format_recall_table(rows))
    print("(ABO and recall in %; s/img: the generator alone, one OpenCV thread)")
    if args.json:
        atomic_write_json(args.json, {"benchmark": args.benchmark, "root": str(root), "split": args.split,
                                      "num_images": len(samples), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
