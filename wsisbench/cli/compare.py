"""``wsisbench compare LEFT... --vs RIGHT... --metric KEY``: the paired difference of two run sets."""
from __future__ import annotations

EPILOG = """\
LEFT and RIGHT are result.json files, run work dirs, or folders searched recursively; each side must form one
run set (runs of one configuration that differ only in cfg.seed, e.g. <work_dir>/seed0 ... seed2 of
`wsisbench run --seeds 0 1 2`). Printed: each side's mean ± std over seeds and left - right with a 95 %
percentile bootstrap interval over images AND seeds (paired: the same image draw for both sides), from the
runs' per-image statistics. Runs on different benchmarks, data or image lists are refused.

examples:
  wsisbench compare work_dirs/fickle_net/mechanism --vs work_dirs/fickle_net/mechanism_p0 --metric val/mIoU
  wsisbench compare results/mechanism/maskx_rcnn/mechanism_sw_transfer \\
      --vs results/mechanism/maskx_rcnn/mechanism_sw_agnostic --metric B/AP --json
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("compare", help="paired difference of two run sets with a bootstrap interval",
                              description="Compare two run sets (several seeds each) on one metric.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("left", nargs="+", metavar="LEFT", help="runs of the left side")
    p.add_argument("--vs", nargs="+", required=True, metavar="RIGHT", help="runs of the right side")
    p.add_argument("--metric", required=True, metavar="KEY", help="result.json metrics key, e.g. val/mIoU or B/AP")
    p.add_argument("--right-metric", metavar="KEY", help="another metric for the right side (default: --metric)")
    p.add_argument("--bootstrap", type=int, default=None, metavar="N", help="bootstrap replicates (default 2000)")
    p.add_argument("--bootstrap-seed", type=int, default=0, metavar="S", help="seed of the bootstrap draws")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from wsisbench.comparison import DEFAULT_REPLICATES, paired_difference, single_run_set
    from wsisbench.comparison.tables import difference_frame, frame_markdown

    left = single_run_set(args.left, "LEFT runs")
    right = single_run_set(args.vs, "RIGHT runs (--vs)")
    diff = paired_difference(left, right, args.metric, args.right_metric,
                             replicates=args.bootstrap or DEFAULT_REPLICATES, bootstrap_seed=args.bootstrap_seed)
    if args.json:
        print(json.dumps(diff.to_dict(), indent=2))
        return 0
    print(f"benchmark {left.benchmark}; left - right on {args.metric}"
          + (f" vs {args.right_metric}" if args.right_metric else "") + " (percent)")
    print(frame_markdown(difference_frame(diff)))
    for note in diff.notes:
        print(f"note: {note}")
    return 0
