"""``wsisbench check RUNS... (--against LEADERBOARD | --reference FILE|DIR | --write-reference [PATH])``.

Exit status: 0 all checks pass, 1 some metric regressed (a table of failing rows is printed), 2 error.
"""
from __future__ import annotations

import sys
from pathlib import Path

from wsisbench.errors import WsisbenchError

EPILOG = """\
tolerances: --tolerance KEY=TOL (repeatable). KEY is a result.json metrics key or a shell pattern
(time/*); a bare TOL applies to every metric. TOL is absolute in the metric's units (0.02 = 2 points of
mIoU, stored as a fraction) or relative to the reference (50%). Time and memory are lower-is-better: they
fail when above reference + tolerance; other metrics fail when below reference - tolerance. Command-line
tolerances override those stored in the reference file.

examples:
  wsisbench check work_dirs/cam_embedded --reference leaderboards/references/
  wsisbench check run/result.json --reference ref.json --tolerance val/mIoU=0.02 --tolerance time/sec_per_img=50%
  wsisbench check work_dirs/ficklenet_voc --against ficklenet
  wsisbench check work_dirs/cam_embedded --write-reference leaderboards/references/
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("check", help="fail (exit 1) when a run regresses against a reference or a paper",
                              description="Compare runs with a stored reference result or with reported numbers.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN", help="result.json file or run work dir")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--against", metavar="LEADERBOARD", help="reported numbers of this leaderboard (e.g. ficklenet)")
    mode.add_argument("--reference", metavar="FILE|DIR",
                      help="a reference file, or a folder of <method>_<preset>.json references")
    mode.add_argument("--write-reference", nargs="?", const="", metavar="PATH",
                      help="store the runs as references instead of checking (default folder: leaderboards/references/)")
    p.add_argument("--tolerance", "-t", action="append", metavar="KEY=TOL", help="per-metric tolerance (see below)")
    p.add_argument("--allow-embedded", action="store_true",
                   help="with --against: also check runs on embedded data (normally skipped: not comparable)")
    p.add_argument("--all", action="store_true", dest="show_all", help="print passing rows too")
    p.add_argument("--force", action="store_true", help="with --write-reference: replace existing files")
    p.set_defaults(func=run)


def _reference_for(run, spec: str):
    from wsisbench.regression.reference import load_reference, reference_file_name

    path = Path(spec)
    if path.is_dir():
        path = path / reference_file_name(run.method, run.preset)
        if not path.exists():
            raise WsisbenchError(f"{path}: no reference for run {run.name} (method {run.method!r}, preset "
                                 f"{run.preset!r}); create one with --write-reference")
    ref = load_reference(path)
    if (ref.method, ref.preset) != (run.method, run.preset):
        raise WsisbenchError(f"{path}: reference is for {ref.method}/{ref.preset}, but run {run.path} is "
                             f"{run.method}/{run.preset}")
    return ref


def run(args) -> int:
    from wsisbench.leaderboards.loader import load_leaderboard
    from wsisbench.leaderboards.sources import leaderboards_dir
    from wsisbench.regression import check
    from wsisbench.regression.reference import write_reference
    from wsisbench.regression.tolerance import parse_cli_tolerances
    from wsisbench.reporting.results import load_runs

    overrides = parse_cli_tolerances(args.tolerance)
    runs = load_runs(args.runs)
    if args.write_reference is not None:
        target = args.write_reference or str(leaderboards_dir() / "references") + "/"
        if len(runs) > 1 and not (Path(target).is_dir() or target.endswith("/")):
            raise WsisbenchError(f"{target}: several runs need a folder (end the path with '/')")
        for r in runs:
            print(f"wrote {write_reference(r, target, overrides, force=args.force)}")
        return 0
    rows = []
    if args.against:
        boards = {args.against: load_leaderboard(args.against)}
        for r in runs:
            rows += check.check_against_leaderboard(r, boards, args.against, overrides, args.allow_embedded)
    else:
        for r in runs:
            rows += check.check_against_reference(r, _reference_for(r, args.reference), overrides)
    if not rows:
        raise WsisbenchError("nothing to check: no run maps onto a leaderboard cell (see leaderboards/mappings.yaml)"
                             if args.against else "nothing to check: the reference has no metrics")
    failed = [r for r in rows if r.failed]
    table = check.format_rows(rows, only_failed=not args.show_all)
    if table:
        print(table)
        print()
    for msg in check.failure_messages(rows):
        print(f"FAIL {msg}")
    counts = {s: sum(r.status == s for r in rows) for s in (check.OK, check.FAIL, check.MISSING, check.NOT_MEASURED,
                                                           check.SKIPPED)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if counts[check.SKIPPED]:
        summary += " (skipped: runs on embedded data are not comparable to the paper; --allow-embedded checks them)"
    print(f"{len(failed)} of {len(rows)} checks failed: {summary}")
    if not failed and counts[check.OK] == 0:
        print("warning: nothing was actually compared", file=sys.stderr)
    return 1 if failed else 0
