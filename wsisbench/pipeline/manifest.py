"""Stage manifests: the proof that a stage's artifacts are complete and belong to this config.

``<work_dir>/<stage>/manifest.json`` is written last, after every artifact, and the directory is renamed
into place atomically, so a stage directory without a valid manifest never counts as done.
"""
from __future__ import annotations

import json
from pathlib import Path

from wsisbench.utils.atomic import atomic_write_json

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "wsisbench.manifest/1"


def list_artifacts(stage_dir: Path) -> dict[str, int]:
    """{relative path: size in bytes} of every file in ``stage_dir`` except the manifest."""
    return {str(p.relative_to(stage_dir)): p.stat().st_size
            for p in sorted(stage_dir.rglob("*")) if p.is_file() and p.name != MANIFEST_NAME}


def write_manifest(stage_dir: Path, record: dict) -> dict:
    """Write the manifest of a finished stage: ``record`` plus the artifact list."""
    manifest = dict(record, schema=MANIFEST_SCHEMA, status="complete", artifacts=list_artifacts(stage_dir))
    atomic_write_json(stage_dir / MANIFEST_NAME, manifest)
    return manifest


def read_valid_manifest(stage_dir: Path, config_hash: str) -> dict | None:
    """The manifest if the stage is complete for ``config_hash`` and every artifact is intact, else None."""
    path = stage_dir / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("status") != "complete" or manifest.get("config_hash") != config_hash:
        return None
    for rel, size in manifest.get("artifacts", {}).items():
        f = stage_dir / rel
        if not f.is_file() or f.stat().st_size != size:
            return None
    return manifest
