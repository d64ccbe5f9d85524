"""One training image -> FickleNet's pseudo-label map (seed cues: 0 bg, 1..K, 255 unassigned)."""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from mmengine.config import ConfigDict

from wsisbench.models.ficklenet import FickleMaps, aggregate_maps

from .fast_cams import map_statistics
from .image_input import image_batch
from .pixel_masks import KeepSampler
from .saliency import read_saliency


def image_generator(img_id: str, seed: int, device: str, repeat: int = 0) -> torch.Generator:
    """A generator seeded from (seed, repeat, image id): maps do not depend on how images are sharded."""
    value = (zlib.crc32(img_id.encode()) + 1_000_003 * int(seed) + 7_919 * int(repeat)) % (2**63)
    return torch.Generator(device=device).manual_seed(value)


@torch.no_grad()
def image_map_statistics(model, img_path: str, classes: Sequence[int], checkpoints: Sequence[int],
                         loc: ConfigDict, generator: torch.Generator,
                         sampler: KeepSampler | None = None) -> list[FickleMaps]:
    """One backbone forward, then the N stochastic passes; statistics after each n in ``checkpoints``.

    Maps are upsampled to the image size. ``model`` is a :class:`FickleNetImageClassifier` in eval mode.
    """
    batch = image_batch(model, img_path)
    feats = model.net.extract_features(batch)
    return map_statistics(feats, model.net.head, classes, checkpoints, chunk=int(loc.chunk),
                          out_size=tuple(batch.shape[-2:]), generator=generator,
                          fast=bool(loc.get("fast", True)), sampler=sampler)


def label_map(maps: FickleMaps, loc: ConfigDict, img_id: str, saliency_dir: Path | None,
              bg_threshold: float | None = None) -> np.ndarray:
    """Aggregate (threshold, class decision, background rule) -> uint8 [H, W].

    ``bg_threshold`` overrides ``loc.bg_threshold`` (the sweep of the localization stage).
    """
    rule = loc.get("background", "score")
    bg = loc.get("bg_threshold") if bg_threshold is None else bg_threshold
    kwargs = {}
    if rule in ("score", "both"):
        kwargs["bg_threshold"] = float(bg)
    if rule in ("saliency", "both"):
        kwargs["saliency"] = read_saliency(saliency_dir, img_id, tuple(maps.mean.shape[-2:])).to(maps.mean.device)
        kwargs["saliency_threshold"] = float(loc.saliency_threshold)
    labels = aggregate_maps(maps.mean, maps.peak, maps.classes, threshold=float(loc.threshold), **kwargs)
    return labels.to(torch.uint8).cpu().numpy()
