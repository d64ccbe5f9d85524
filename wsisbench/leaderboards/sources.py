"""Source documents of reported numbers (``leaderboards/sources.yaml``) and where they are on disk.

Every leaderboard table names its document by file name; only names listed in ``sources.yaml`` are
accepted. The files themselves live in the shared folder (``$WSISBENCH_SHARED`` or ``../shared`` next to
the repository); when that folder is present the loader also checks that the named file exists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from wsisbench.errors import WsisbenchError

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SourceDocument:
    name: str  # file name, e.g. "002_5f8b2a81845e7b73.txt"
    path: str  # relative to the shared folder, e.g. "seeds/002_5f8b2a81845e7b73.txt"
    title: str


def leaderboards_dir() -> Path:
    """The folder with the leaderboard files: ``$WSISBENCH_LEADERBOARDS`` or ``<repo>/leaderboards``."""
    return Path(os.environ.get("WSISBENCH_LEADERBOARDS") or REPO_ROOT / "leaderboards")


def shared_root() -> Path | None:
    """The shared folder holding ``seeds/`` and ``docs/``, or None where it is not on this machine."""
    env = os.environ.get("WSISBENCH_SHARED")
    root = Path(env) if env else REPO_ROOT.parent / "shared"
    return root if root.is_dir() else None


def load_sources(directory: Path | None = None) -> dict[str, SourceDocument]:
    """Read ``sources.yaml`` from the leaderboards folder: file name -> :class:`SourceDocument`."""
    path = (directory or leaderboards_dir()) / "sources.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise WsisbenchError(f"{path}: cannot read the list of source documents ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise WsisbenchError(f"{path}: not valid YAML: {e}") from e
    docs = (raw or {}).get("documents")
    if not isinstance(docs, dict) or not docs:
        raise WsisbenchError(f"{path}: expected a non-empty 'documents' mapping")
    out = {}
    for name, spec in docs.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise WsisbenchError(f"{path}: document {name!r} needs a 'path' (relative to the shared folder)")
        out[str(name)] = SourceDocument(str(name), spec["path"], str(spec.get("title", "")))
    return out


def document_file(doc: SourceDocument) -> Path | None:
    """Where ``doc`` is on this machine, or None when the shared folder is absent."""
    root = shared_root()
    return root / doc.path if root else None
