"""The published methods, one folder each; importing this package registers every method.

A method folder ``<name>/`` holds the method's pipeline (``method.py``: a :class:`wsisbench.pipeline.Method`
registered as ``<name>``), its stages, its method-only model parts and transforms, a ``README.md`` (paper,
what runs, deviations) and a ``metafile.yaml`` (presets, the leaderboard cells they reproduce, the paper's
claims). Every folder found here, in ``baselines/`` and in the ``methods/`` folder of each extra project
root (``$WSISBENCH_PATH``) is imported; a folder that fails to import is an error, never skipped.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Iterable


def import_method_packages(package: str, path: Iterable[str]) -> list[str]:
    """Import every subpackage of ``package`` (its folders under ``path``); returns their module names."""
    names = [f"{package}.{info.name}" for info in pkgutil.iter_modules(list(path))
             if info.ispkg and not info.name.startswith("_")]
    for name in names:
        importlib.import_module(name)
    return names


def import_extra_methods() -> list[str]:
    """Import the method folders of the extra project roots (``$WSISBENCH_PATH``) as top-level packages."""
    from wsisbench.projects import extra_roots

    imported = []
    for root in extra_roots():
        methods = root / "methods"
        if not methods.is_dir():
            continue
        if str(methods) not in sys.path:
            sys.path.insert(0, str(methods))
        for info in pkgutil.iter_modules([str(methods)]):
            if info.ispkg and not info.name.startswith("_"):
                imported.append(importlib.import_module(info.name).__name__)
    return imported


import_method_packages(__name__, __path__)
import_extra_methods()
