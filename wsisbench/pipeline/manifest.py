"""Stage manifests: the proof that a stage's artifacts are complete, intact and belong to this config.

``<work_dir>/<stage>/manifest.json`` is written last, after every artifact, and the directory is renamed
into place atomically, so a stage directory without a valid manifest never counts as done. The manifest
lists every artifact with its size and SHA-256, the stage's ``content_hash`` (a hash of that list), and the
content hashes of the stages it read (``inputs``) at the time it ran.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from wsisbench.utils.atomic import atomic_write_json
from wsisbench.utils.hashing import stable_hash

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "wsisbench.manifest/2"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_artifacts(stage_dir: Path) -> dict[str, dict]:
    """{relative path: {'size': bytes, 'sha256': hex}} of every file in ``stage_dir`` but the manifest.

    Files whose name starts with '.' are scratch files (the runner's input marker, temporary files of
    atomic writes), not artifacts.
    """
    return {str(p.relative_to(stage_dir)): {"size": p.stat().st_size, "sha256": file_sha256(p)}
            for p in sorted(stage_dir.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")}


def write_manifest(stage_dir: Path, record: dict) -> dict:
    """Write the manifest of a finished stage: ``record`` plus the artifact list and its content hash."""
    artifacts = list_artifacts(stage_dir)
    for scratch in stage_dir.glob(".*"):
        if scratch.is_file():
            scratch.unlink()
    manifest = dict(record, schema=MANIFEST_SCHEMA, status="complete", artifacts=artifacts,
                    content_hash=stable_hash(artifacts))
    atomic_write_json(stage_dir / MANIFEST_NAME, manifest)
    return manifest


def read_valid_manifest(stage_dir: Path, config_hash: str) -> dict | None:
    """The manifest if the stage is complete for ``config_hash`` and every artifact is intact, else None.

    Intact: present with the recorded size and SHA-256, so a truncated, damaged or replaced file is caught.
    """
    path = stage_dir / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (manifest.get("schema") != MANIFEST_SCHEMA or manifest.get("status") != "complete"
            or manifest.get("config_hash") != config_hash):
        return None
    for rel, meta in manifest.get("artifacts", {}).items():
        f = stage_dir / rel
        if not f.is_file() or f.stat().st_size != meta.get("size") or file_sha256(f) != meta.get("sha256"):
            return None
    return manifest
