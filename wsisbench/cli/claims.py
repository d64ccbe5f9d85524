"""``wsisbench claims [--method NAME] RUNS...``: verdicts on the papers' claims (metafile ``claims:``)."""
from __future__ import annotations

EPILOG = """\
RUNS are result.json files, run work dirs, or folders searched recursively (e.g. results/ as written by
`wsisbench results export`). Runs are grouped into run sets (one configuration, several seeds); each claim
compares its two presets' run sets on its metric: left - right with a 95 % bootstrap interval over images and
seeds. Verdicts: reproduced (the interval excludes 0 in the paper's direction), contradicted (excludes 0 the
other way), inconclusive (contains 0), not run (no runs of a side, or no config for its preset yet).
'No worse' and 'equivalent' claims are decided against the margin written in their metafile.
Without RUNS the claims are listed, all not run. See docs/claims.md.

examples:
  wsisbench claims results/
  wsisbench claims --method maskx_rcnn results/mechanism --format json --out claims.json
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("claims", help="decide the papers' claims on runs with several seeds",
                              description="Evaluate every claim of the metafiles on the given runs.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", metavar="RUN", help="result.json file, run work dir or folder of runs")
    p.add_argument("--method", metavar="NAME", help="only this method's claims")
    p.add_argument("--format", choices=["md", "json"], default="md", help="output format (default md)")
    p.add_argument("--out", metavar="FILE", help="write there instead of printing")
    p.add_argument("--bootstrap", type=int, default=None, metavar="N", help="bootstrap replicates (default 2000)")
    p.add_argument("--bootstrap-seed", type=int, default=0, metavar="S", help="seed of the bootstrap draws")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from wsisbench.comparison import DEFAULT_REPLICATES, evaluate_claims, load_run_sets
    from wsisbench.comparison.tables import verdicts_markdown
    from wsisbench.leaderboards.metafile import load_claims
    from wsisbench.utils.atomic import atomic_write_text

    claims = load_claims(args.method)
    run_sets = load_run_sets(args.runs) if args.runs else []
    verdicts = evaluate_claims(claims, run_sets, replicates=args.bootstrap or DEFAULT_REPLICATES,
                               bootstrap_seed=args.bootstrap_seed)
    if args.format == "json":
        text = json.dumps({"claims": [v.to_dict() for v in verdicts],
                           "runs": [str(r.path) for rs in run_sets for r in rs.runs]}, indent=2) + "\n"
    else:
        text = verdicts_markdown(verdicts)
    if args.out:
        print(atomic_write_text(args.out, text))
    else:
        print(text, end="")
    return 0
