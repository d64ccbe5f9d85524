"""The mask proposals of a run, as its config's ``proposals`` block names them.

    proposals = dict(source='selective_search', max_proposals=300)          # computed, cached per image
    proposals = dict(source='files', files='DIR', file_pattern='{id}.mat')  # the user's (MCG, as the papers)

:class:`ProposalSource` gives each image's ``bool [N, H, W]`` masks from either, and is what the methods'
proposal stages call; a paper preset whose folder is missing stops before any training
(:func:`proposal_folder`). :func:`masks_to_boxes` turns masks into the boxes a detector pools.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

import mmcv
import numpy as np

from wsisbench.errors import WsisbenchError
from wsisbench.utils.progress import progress

from .files import load_proposal_file
from .store import ProposalStore

#: keys of the ``proposals`` block that are not generator options
SOURCE_KEYS = ("source", "files", "file_pattern")


def proposal_folder(cfg, purpose: str) -> Path | None:
    """The folder of the user's proposal files when ``cfg.proposals.source == 'files'`` (else None).

    Raises a :class:`WsisbenchError` naming ``--cfg-options proposals.files=DIR`` when it is not given or
    is not a folder; ``purpose`` says in the message what the files are for.
    """
    from wsisbench.pipeline.preflight import user_folder

    prop = cfg.get("proposals") or {}
    if prop.get("source", "selective_search") != "files":
        return None
    return user_folder(cfg, "proposals.files", prop.get("files"), purpose,
                       f"one file per image named {prop.get('file_pattern', '{id}.mat')!r} "
                       f"(MCG .mat, .npz or RLE .json)")


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """bool [N, H, W] -> float32 [N, 4] boxes ``(x1, y1, x2, y2)`` in pixels, x2 / y2 one past the last
    pixel (a one-pixel mask at (x, y) gives ``(x, y, x + 1, y + 1)``); an empty mask gives zeros."""
    masks = np.asarray(masks, dtype=bool)
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    if not len(masks):
        return boxes
    cols, rows = masks.any(axis=1), masks.any(axis=2)   # [N, W], [N, H]
    has = cols.any(axis=1)
    w, h = masks.shape[2], masks.shape[1]
    boxes[:, 0] = np.argmax(cols, axis=1)
    boxes[:, 1] = np.argmax(rows, axis=1)
    boxes[:, 2] = w - np.argmax(cols[:, ::-1], axis=1)
    boxes[:, 3] = h - np.argmax(rows[:, ::-1], axis=1)
    boxes[~has] = 0
    return boxes


def _image_loader(path: str) -> Callable[[str], np.ndarray]:
    return lambda _image_id: mmcv.imread(path)


class ProposalSource:
    """Each image's mask proposals under a run's ``proposals`` config.

    Args:
        cfg: the run's config (its ``proposals`` block; ``proposals.files`` for user files).
        cache_root: folder of the :class:`ProposalStore` of computed proposals (a stage's artifact folder).
        purpose: what the proposals are for, in error messages.

    ``masks(sample)`` returns ``bool [N, H, W]`` for a sample with ``img_id`` and ``img_path`` (at most
    ``max_proposals`` of a file, in its order).
    """

    def __init__(self, cfg, cache_root: str | Path, purpose: str):
        self.block = dict(cfg.get("proposals") or {})
        self.kind = self.block.get("source", "selective_search")
        self.folder = proposal_folder(cfg, purpose)
        self.pattern = self.block.get("file_pattern", "{id}.mat")
        self.limit = self.block.get("max_proposals")
        self.store = None
        if self.folder is None:
            options = {k: v for k, v in self.block.items() if k not in SOURCE_KEYS}
            self.store = ProposalStore(cache_root, self.kind, options)

    def file(self, image_id: str) -> Path:
        return self.folder / self.pattern.format(id=image_id)

    def masks(self, sample: dict, shape: tuple[int, int] | None = None) -> np.ndarray:
        """bool [N, H, W] proposals of one image; ``shape`` (H, W) checks a user file's masks."""
        if self.store is not None:
            return self.store.get(sample["img_id"], _image_loader(sample["img_path"]))
        masks = load_proposal_file(self.file(sample["img_id"]), image_shape=shape)
        return masks[: self.limit] if self.limit else masks

    def prepare(self, samples: Sequence[dict], split: str, shard: Callable[[Iterable], Iterable] = list,
                show: bool = True) -> dict:
        """Compute and cache the proposals of ``samples`` (or check that every user file exists).

        Returns ``{'source', 'num_images'}`` plus ``'folder'`` for user files, or ``'mean_per_image'`` and
        ``'sec_per_img'`` (wall time per image of this process's share) for computed ones.
        """
        if self.store is None:
            missing = [s["img_id"] for s in samples if not self.file(s["img_id"]).is_file()]
            if missing:
                raise WsisbenchError(f"proposals.files {self.folder}: no proposal file for {len(missing)} {split} "
                                     f"image(s), e.g. {self.pattern.format(id=missing[0])}")
            return {"source": "files", "folder": str(self.folder), "num_images": len(samples)}
        counts, start = [], time.perf_counter()
        for s in progress(shard(samples), desc=f"proposals {split}", disable=not show):
            counts.append(len(self.masks(s)))
        return {"source": self.kind, "num_images": len(samples),
                "mean_per_image": float(np.mean(counts)) if counts else 0.0,
                "sec_per_img": (time.perf_counter() - start) / max(1, len(counts))}

__all__ = ["ProposalSource", "SOURCE_KEYS", "masks_to_boxes", "proposal_folder"]
