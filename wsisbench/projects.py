"""Where wsisbench finds methods, presets and leaderboards: the repository, and extra project roots.

A *project root* is laid out like this repository. A method ``<name>`` touches three places in it:

    <root>/<methods folder>/<name>/     the method folder: pipeline, stages, model parts, README.md, metafile.yaml
    <root>/configs/<name>/*.py          its presets
    <root>/leaderboards/<name>.yaml     the reported numbers of its paper (when it has its own)

The repository's method folders are ``wsisbench/methods/`` and ``baselines/``; an extra root keeps its
method folders in ``methods/``. Extra roots are named by ``$WSISBENCH_PATH`` (paths separated by ``:``), so a
method can be developed, tested and run without touching this repository.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
#: environment variable naming extra project roots
PATH_VARIABLE = "WSISBENCH_PATH"


def extra_roots() -> list[Path]:
    """The project roots named by ``$WSISBENCH_PATH`` (existing folders only, in order)."""
    value = os.environ.get(PATH_VARIABLE, "")
    return [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p and Path(p).expanduser().is_dir()]


def project_roots() -> list[Path]:
    """This repository first, then the extra roots."""
    return [REPO_ROOT] + [r for r in extra_roots() if r != REPO_ROOT]


def configs_dirs() -> list[Path]:
    """``<root>/configs`` of every project root that has one."""
    return [r / "configs" for r in project_roots() if (r / "configs").is_dir()]


def leaderboards_dirs() -> list[Path]:
    """``<root>/leaderboards`` of every project root that has one (the repository's first)."""
    return [r / "leaderboards" for r in project_roots() if (r / "leaderboards").is_dir()]


def method_parent_dirs() -> list[Path]:
    """Folders that hold method folders: ``wsisbench/methods``, ``baselines`` and each extra root's ``methods``."""
    dirs = [REPO_ROOT / "wsisbench" / "methods", REPO_ROOT / "baselines"]
    return dirs + [r / "methods" for r in extra_roots() if (r / "methods").is_dir()]


def method_folders() -> dict[str, Path]:
    """Method name -> its folder (a package folder holding ``__init__.py``), over every project root."""
    out: dict[str, Path] = {}
    for parent in method_parent_dirs():
        if not parent.is_dir():
            continue
        for folder in sorted(parent.iterdir()):
            if folder.is_dir() and (folder / "__init__.py").is_file() and not folder.name.startswith(("_", ".")):
                out.setdefault(folder.name, folder)
    return out
