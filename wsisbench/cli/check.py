"""``wsisbench check RUNS... (--against LEADERBOARD | --reference FILE|DIR | --write-reference [PATH])`` and
``wsisbench check --rerun REFERENCES...``.

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
  wsisbench check work_dirs/fickle_net/voc2012_vgg16 --against fickle_net
  wsisbench check work_dirs/cam_embedded --write-reference leaderboards/references/ci/
  wsisbench check --rerun leaderboards/references/ci/      # run every stored preset afresh and check it
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("check", help="fail (exit 1) when a run regresses against a reference or a paper",
                              description="Compare runs with a stored reference result or with reported numbers.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", metavar="RUN", help="result.json file or run work dir")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rerun", nargs="+", metavar="REFERENCE", dest="rerun",
                      help="run the preset of each reference (files, or folders searched recursively) afresh, "
                           "then check it against that reference (what CI and `make check-references` do)")
    mode.add_argument("--against", metavar="LEADERBOARD", help="reported numbers of this leaderboard (e.g. fickle_net)")
    mode.add_argument("--reference", metavar="FILE|DIR",
                      help="a reference file, or a folder of <method>_<preset>.json references")
    mode.add_argument("--write-reference", nargs="?", const="", metavar="PATH",
                      help="store the runs as references instead of checking "
                           "(default folder: leaderboards/references/)")
    p.add_argument("--tolerance", "-t", action="append", metavar="KEY=TOL", help="per-metric tolerance (see below)")
    p.add_argument("--allow-embedded", action="store_true",
                   help="with --against: also check runs on embedded data (normally skipped: not comparable)")
    p.add_argument("--all", action="store_true", dest="show_all", help="print passing rows too")
    p.add_argument("--force", action="store_true", help="with --write-reference: replace existing files")
    p.add_argument("--work-root", default="work_dirs/check", metavar="DIR",
                   help="with --rerun: where the runs go (<DIR>/<method>/<preset>; default: work_dirs/check)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="with --rerun: the device (default cpu)")
    p.set_defaults(func=run)


def _reference_for(run, spec: str):
    from wsisbench.regression.reference import load_reference, reference_file_name

    path = Path(spec)
    if path.is_dir():
        candidates = [path / reference_file_name(run.method, run.preset)]
        candidates += sorted(p / reference_file_name(run.method, run.preset) for p in path.iterdir() if p.is_dir())
        found = [c for c in candidates if c.exists()]
        if not found:
            raise WsisbenchError(f"{path}: no reference for run {run.name} (method {run.method!r}, preset "
                                 f"{run.preset!r}); create one with --write-reference")
        path = found[0]
    return load_reference(path)


def run(args) -> int:
    from wsisbench.leaderboards.loader import load_leaderboard
    from wsisbench.leaderboards.sources import leaderboards_dir
    from wsisbench.regression import check
    from wsisbench.regression.reference import write_reference
    from wsisbench.regression.tolerance import parse_cli_tolerances
    from wsisbench.reporting.results import load_runs

    overrides = parse_cli_tolerances(args.tolerance)
    if args.rerun:
        return rerun_references(args, overrides)
    if not args.runs:
        raise WsisbenchError("give the runs to check (result.json files or run work dirs)")
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
        raise WsisbenchError("nothing to check: no run maps onto a leaderboard cell (see the method's metafile.yaml)"
                             if args.against else "nothing to check: the reference has no metrics")
    return 1 if print_rows(rows, args.show_all) else 0


def print_rows(rows: list, show_all: bool) -> list:
    """Print the check table, one sentence per failure and a summary line; returns the failing rows."""
    from wsisbench.regression import check

    failed = [r for r in rows if r.failed]
    table = check.format_rows(rows, only_failed=not show_all)
    if table:
        print(table)
        print()
    for msg in check.failure_messages(rows):
        print(f"FAIL {msg}")
    counts = {s: sum(r.status == s for r in rows) for s in (check.OK, check.BOTH_UNDEFINED, check.FAIL, check.MISSING,
                                                           check.NOT_MEASURED, check.SKIPPED)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if counts[check.SKIPPED]:
        summary += " (skipped: runs on embedded data are not comparable to the paper; --allow-embedded checks them)"
    print(f"{len(failed)} of {len(rows)} checks failed: {summary}")
    if not failed and counts[check.OK] == 0:
        print("warning: nothing was actually compared", file=sys.stderr)
    return failed


def reference_files(specs: list[str]) -> list[Path]:
    """Reference files named directly or found (recursively) in folders."""
    out: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            out += sorted(path.rglob("*.json"))
        elif path.is_file():
            out.append(path)
        else:
            raise WsisbenchError(f"{path}: no such reference file or folder")
    if not out:
        raise WsisbenchError(f"no reference files in {', '.join(specs)}")
    return out


def rerun_references(args, overrides) -> int:
    """Run each reference's preset afresh (reusing a finished run of the same config in the work root), check it.

    Each preset runs in its own ``wsisbench run`` process, as a user would run it: its peak memory and its
    torch thread count are then its own, not what the presets before it left in a shared process."""
    import subprocess
    import sys
    import time

    from wsisbench.pipeline.runner import RESULT_NAME
    from wsisbench.regression import check
    from wsisbench.regression.reference import load_reference
    from wsisbench.reporting.results import load_run

    failed_refs = []
    for path in reference_files(args.rerun):
        ref = load_reference(path)
        work_dir = Path(args.work_root) / ref.method / ref.preset
        print(f"== {ref.method}/{ref.preset}: running into {work_dir} (reference {path})", flush=True)
        start = time.time()
        proc = subprocess.run([sys.executable, "-m", "wsisbench.cli.main", "run", "--method", ref.method,
                               "--preset", ref.preset, "--work-dir", str(work_dir), "--device", args.device])
        result = work_dir / RESULT_NAME
        if proc.returncode != 0 or not result.is_file():
            print(f"FAIL {ref.method}/{ref.preset}: the run ended with exit status {proc.returncode}", flush=True)
            failed_refs.append(f"{ref.method}/{ref.preset}")
            continue
        print(f"== {ref.method}/{ref.preset}: finished in {time.time() - start:.0f} s; checking", flush=True)
        if print_rows(check.check_against_reference(load_run(result), ref, overrides), args.show_all):
            failed_refs.append(f"{ref.method}/{ref.preset}")
    print(f"{len(failed_refs)} reference(s) failed" + (f": {', '.join(failed_refs)}" if failed_refs else ""))
    return 1 if failed_refs else 0
