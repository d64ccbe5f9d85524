"""Writes scenes in the layout of the LID 2020 challenge, track 1 (weakly supervised semantic segmentation),
under ``<root>/LID``. LID gave training images with image-level labels only and validation images with
pixel-level PNG ground truth of class indices (255 = ambiguous); here:

- ``train/<id>.JPEG`` and ``train.txt``: one line per training image, ``<id> <c1> <c2> ...`` with the
  image-level class indices (1..K, ascending)
- ``val/<id>.JPEG`` and ``val.txt``: one id per line
- ``val_annotations/<id>.png``: 8-bit grayscale PNG of class indices, 0 background, 1..K, 255 ambiguous
  (the void band)
- ``classes.txt``: ``<index> <name>`` for 0 (background) .. K
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .encoding import encode_gray_png
from .scene import Scene


class LidWriter:
    """:meth:`add` one image of a split at a time, then :meth:`finish` writes the lists."""

    def __init__(self, root: Path, class_names: Sequence[str]):
        self.base = Path(root) / "LID"
        self.class_names = list(class_names)
        for sub in ("train", "val", "val_annotations"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.lines: dict[str, list[str]] = {"train": [], "val": []}

    def add(self, split: str, image_id: str, jpeg: bytes, scene: Scene) -> None:
        (self.base / split / f"{image_id}.JPEG").write_bytes(jpeg)
        if split == "train":
            self.lines[split].append(" ".join([image_id, *(str(c) for c in scene.labels)]))
        else:
            (self.base / "val_annotations" / f"{image_id}.png").write_bytes(encode_gray_png(scene.class_map))
            self.lines[split].append(image_id)

    def finish(self) -> None:
        for split, lines in self.lines.items():
            (self.base / f"{split}.txt").write_text("".join(f"{line}\n" for line in lines))
        names = ["background", *self.class_names]
        (self.base / "classes.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(names)))
