"""The papers that reported numbers come from (``leaderboards/sources.yaml``), and where leaderboard files are.

Every leaderboard table names its document by key (``ficklenet_cvpr2019``); only keys listed in a
``sources.yaml`` are accepted. A paper is cited by title, venue and arXiv id.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from wsisbench.errors import WsisbenchError
from wsisbench.projects import REPO_ROOT, leaderboards_dirs

SOURCES_SCHEMA = "wsisbench.sources/2"


@dataclass(frozen=True)
class SourceDocument:
    name: str  # the key, e.g. "ficklenet_cvpr2019"
    title: str
    venue: str = ""
    arxiv: str = ""
    authors: str = ""
    note: str = ""

    def citation(self) -> str:
        """``Title (venue, arXiv:id)``."""
        where = ", ".join(x for x in (self.venue, f"arXiv:{self.arxiv}" if self.arxiv else "") if x)
        return f"{self.title} ({where})" if where else self.title


def leaderboards_dir() -> Path:
    """The repository's leaderboards folder (``$WSISBENCH_LEADERBOARDS`` overrides it, for tests)."""
    return Path(os.environ.get("WSISBENCH_LEADERBOARDS") or REPO_ROOT / "leaderboards")


def leaderboard_search_path() -> list[Path]:
    """Folders searched for ``<name>.yaml``: the repository's (or ``$WSISBENCH_LEADERBOARDS``), then the
    extra project roots' (:mod:`wsisbench.projects`)."""
    dirs = [leaderboards_dir()] + [d for d in leaderboards_dirs() if d != REPO_ROOT / "leaderboards"]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d not in dirs[:i]]


def parse_documents(docs, path) -> dict[str, SourceDocument]:
    """``{key: {title, venue, arxiv, authors, note}}`` (a ``documents`` block) -> key -> :class:`SourceDocument`."""
    if not isinstance(docs, dict) or not docs:
        raise WsisbenchError(f"{path}: expected a non-empty 'documents' mapping")
    out = {}
    for name, spec in docs.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("title"), str):
            raise WsisbenchError(f"{path}: document {name!r} needs a 'title' (and 'venue', 'arxiv')")
        out[str(name)] = SourceDocument(str(name), spec["title"], str(spec.get("venue", "")),
                                        str(spec.get("arxiv", "")), str(spec.get("authors", "")),
                                        str(spec.get("note", "")))
    return out


def load_sources(directory: Path | None = None) -> dict[str, SourceDocument]:
    """The documents of ``sources.yaml`` (in ``directory``, else in every leaderboard folder): key -> document.

    A leaderboard file may also define the documents only it cites (its own ``documents`` block), so a new
    method's paper needs no line here.
    """
    paths = [directory / "sources.yaml"] if directory else [d / "sources.yaml" for d in leaderboard_search_path()]
    out: dict[str, SourceDocument] = {}
    for path in paths:
        if directory is None and not path.exists():
            continue
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise WsisbenchError(f"{path}: cannot read the list of source documents ({e.strerror})") from e
        except yaml.YAMLError as e:
            raise WsisbenchError(f"{path}: not valid YAML: {e}") from e
        if (raw or {}).get("schema") != SOURCES_SCHEMA:
            raise WsisbenchError(f"{path}: schema must be {SOURCES_SCHEMA!r}")
        out.update(parse_documents((raw or {}).get("documents"), path))
    return out
