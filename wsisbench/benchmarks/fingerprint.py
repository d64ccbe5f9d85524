"""The identity of the data a run reads: part of a run's identity, recorded in run.json and result.json.

``dataset_fingerprint(spec, root, splits)`` returns::

    {"root": "/abs/path", "content": "<hash>", "identity": "<hash>", "splits": {"val": 150, ...},
     "generator": {...} (generated benchmarks only)}

- ``content`` does not depend on where the data lies: for a generated benchmark the generator's parameter
  hash (its files are a function of it); for a real dataset the split lists and the sizes of the annotation
  files. ``wsisbench check`` compares it, so a reference made on one machine checks a run made on another.
- ``identity`` adds the resolved root and the modification times of the annotation files: a work dir is
  tied to it, and pointing an existing work dir at other data is refused like another config.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

from wsisbench.utils.hashing import stable_hash

#: annotation files per layout, as glob patterns relative to the layout's folder
_ANNOTATION_GLOBS = {
    "voc": ("ImageSets/Segmentation/*.txt", "SegmentationClass/*.png", "SegmentationObject/*.png",
            "Annotations/*.xml"),
    "coco": ("annotations/*.json",),
    "lid": ("*.txt", "LID_track1/*.txt", "LID_track1_annotations/**/*.png", "val_annotations/*.png",
            "LID_track1_annotations/**/*.txt"),
}


def _layout_folder(root: Path, layout: str) -> Path:
    if layout == "voc":
        from wsisbench.datasets.voc import resolve_voc_root

        return resolve_voc_root(root)
    if layout == "lid" and not (root / "LID_track1").is_dir() and (root / "LID").is_dir():
        return root / "LID"
    return root


def annotation_files(root: Path, layouts: Iterable[str]) -> list[Path]:
    """The annotation files (label maps, instance jsons, split and label lists) of ``layouts`` under ``root``."""
    files: set[Path] = set()
    for layout in layouts:
        folder = _layout_folder(root, layout)
        for pattern in _ANNOTATION_GLOBS.get(layout, ()):
            files.update(p for p in folder.glob(pattern) if p.is_file())
    sbd = root / "SBD"
    if sbd.is_dir():
        files.update(p for p in sbd.rglob("*") if p.is_file() and p.suffix in (".mat", ".txt"))
    return sorted(files)


def _split_counts(root: Path, layouts: Sequence[str], splits: Sequence[str]) -> dict[str, int]:
    """Images per split where a VOC split list names them (for display; the hashes cover the lists)."""
    out = {}
    if "voc" in layouts:
        folder = _layout_folder(root, "voc") / "ImageSets" / "Segmentation"
        for split in splits:
            path = folder / f"{split}.txt"
            if path.is_file():
                out[split] = len(path.read_text().split())
    return out


def dataset_fingerprint(spec, root: str | Path, splits: Sequence[str] = ()) -> dict:
    """The fingerprint of ``spec``'s data under ``root`` for a run that reads ``splits`` (see module doc)."""
    root = Path(root).resolve()
    layouts = tuple(spec.layouts)
    meta_path = root / "meta.json"
    if spec.embedded and meta_path.is_file():
        generator = json.loads(meta_path.read_text()).get("generator", {})
        content = stable_hash({"benchmark": spec.name, "generator": generator})
        return {"root": str(root), "content": content, "identity": stable_hash([str(root), content]),
                "splits": _split_counts(root, layouts, splits), "generator": generator}
    files = annotation_files(root, layouts)
    sizes = [(str(p.relative_to(root)), p.stat().st_size) for p in files]
    mtimes = [p.stat().st_mtime_ns for p in files]
    content = stable_hash({"benchmark": spec.name, "files": sizes})
    return {"root": str(root), "content": content, "identity": stable_hash([str(root), content, mtimes]),
            "splits": _split_counts(root, layouts, splits), "num_annotation_files": len(files)}
