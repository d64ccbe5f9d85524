"""``wsisbench results export RUN_DIRS... --out results/``: keep runs' results in the repository.

Copies each run's result.json, the per-image statistics its evaluations reference and the small named maps
of its qualitative entries (never checkpoints, predictions or other artifacts) to
``<out>/<benchmark>/<method>/<preset>/seed<k>/`` with the same relative paths, so that ``wsisbench claims
results/``, ``wsisbench compare`` and ``wsisbench report`` rebuild from the repository alone.
"""
from __future__ import annotations

import shutil
from pathlib import Path

EPILOG = """\
examples:
  wsisbench results export work_dirs/fickle_net/mechanism --out results/
  wsisbench results export work_dirs/ --out results/        # every run found under work_dirs/
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("results", help="export runs' result.json and per-image statistics (results/)",
                              description="Manage the stored results of runs.")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    e = sub.add_parser("export", help="copy result.json and per-image files to <out>/<benchmark>/<method>/<preset>/"
                                      "seed<k>/", description=__doc__, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("runs", nargs="+", metavar="RUN", help="run work dir, result.json, or folder searched recursively")
    e.add_argument("--out", "-o", required=True, metavar="DIR", help="destination (e.g. results/)")
    e.add_argument("--overwrite", action="store_true",
                   help="replace an exported run of another configuration at the same place")
    e.set_defaults(func=export_command)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _safe(part: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(part)) or "_"


def export_run(result_path: Path, out: Path, overwrite: bool = False) -> Path:
    """Copy one run; returns its destination folder."""
    from wsisbench.comparison.runsets import config_key, run_seed
    from wsisbench.errors import WsisbenchError
    from wsisbench.evaluation.per_image import per_image_path
    from wsisbench.reporting.results import load_run

    run = load_run(result_path)
    dest = out / _safe(run.benchmark) / _safe(run.method) / _safe(run.preset) / f"seed{run_seed(run)}"
    old = dest / "result.json"
    if old.is_file() and not overwrite:
        try:
            before = load_run(old)
        except WsisbenchError:
            before = None
        if before is None or config_key(before) != config_key(run) or before.raw.get("data_fingerprint", {}).get(
                "content") != run.raw.get("data_fingerprint", {}).get("content"):
            raise WsisbenchError(f"{dest} holds an exported run of another configuration or data; pass --overwrite "
                                 f"to replace it")
    files = []
    for name, entry in run.evaluations.items():
        src = per_image_path(run.directory, entry)
        if src is None:
            continue
        if not src.is_file():
            raise WsisbenchError(f"{run.path}: evaluation {name!r} references {entry['per_image']}, which is missing")
        rel = Path(entry["per_image"])
        if rel.is_absolute() or ".." in rel.parts:
            raise WsisbenchError(f"{run.path}: evaluation {name!r}: per_image must be relative to the run")
        files.append((src, rel))
    for entry in run.qualitative:  # the named maps of the side-by-side figure (small .npy files)
        for rel in (entry.get("maps") or {}).values() if isinstance(entry, dict) else ():
            rel = Path(str(rel))
            if not rel.is_absolute() and ".." not in rel.parts and (run.directory / rel).is_file():
                files.append((run.directory / rel, rel))
    dest.mkdir(parents=True, exist_ok=True)
    for src, rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / rel)
    tmp = dest / ".result.json.tmp"
    shutil.copyfile(run.path, tmp)  # result.json last (byte for byte), so a complete copy has it
    tmp.replace(dest / "result.json")
    return dest


def export_command(args) -> int:
    from wsisbench.comparison.runsets import find_result_files

    out = Path(args.out)
    for path in find_result_files(args.runs):
        if out.resolve() in path.resolve().parents:
            continue  # already an exported copy
        dest = export_run(path, out, overwrite=args.overwrite)
        print(f"{path.parent} -> {dest}")
    return 0
