"""One synthetic image: a textured background with 1..4 overlapping object instances and its labels.

Instances are drawn in order, later ones over earlier ones; an instance's *visible* mask is what the later
ones leave of it. An instance that ends up nearly invisible (less than ``min_visible_fraction`` of its
in-image area left, or fewer than ``min_interior_px`` pixels outside the void band) is dropped before
anything is painted, so every labelled instance can be seen and every painted object is labelled.

Label maps follow PASCAL VOC: the object map holds 1..n (drawing order), the class map 1..K, both 0 for
background and 255 on a void band of ``band_width`` pixels along every object outline (half inside,
half outside; none along the image border).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .classes import CLASS_SPECS
from .shapes import OUTLINES, Placement, rasterize
from .textures import background, object_appearance

VOID = 255


@dataclass(frozen=True)
class SceneParams:
    """Scene sampling parameters. Sizes are fractions of the image side unless named ``_px``."""

    image_size: int = 128
    min_instances: int = 1
    max_instances: int = 4
    min_scale: float = 0.12  #: smallest object extent (diameter of its unit disc) / image side
    max_scale: float = 0.55  #: largest object extent / image side
    band_width: int = 2  #: void band width in pixels
    min_visible_fraction: float = 0.25
    min_interior_px: int = 20


@dataclass
class Instance:
    """A labelled instance. ``mask``: visible pixels ``(H, W)`` bool (void band NOT removed);
    ``box``: (x0, y0, x1, y1) 0-based inclusive pixel bounds of ``mask``; ``label``: class index 1..K."""

    label: int
    mask: np.ndarray
    box: tuple[int, int, int, int]
    truncated: bool

    @property
    def area(self) -> int:
        return int(self.mask.sum())


@dataclass
class Scene:
    """``image``: ``(H, W, 3)`` uint8 RGB; ``object_map`` / ``class_map``: ``(H, W)`` uint8 with the void
    band set to 255; ``band``: ``(H, W)`` bool; ``instances``: in drawing order (object id = position + 1)."""

    image: np.ndarray
    object_map: np.ndarray
    class_map: np.ndarray
    band: np.ndarray
    instances: list[Instance] = field(default_factory=list)

    @property
    def labels(self) -> list[int]:
        """Sorted class indices (1..K) present in the image: the image-level labels."""
        return sorted({inst.label for inst in self.instances})


@dataclass
class _Draft:
    label: int
    placement: Placement
    alpha: np.ndarray  # (H, W) uint8 coverage
    truncated: bool


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def void_band(object_map: np.ndarray, width: int) -> np.ndarray:
    """Pixels within the band along each object's outline: ``ceil(width/2)`` px inside each object and
    ``floor(width/2)`` px outside it. ``object_map``: ``(H, W)`` ints, 0 = background -> ``(H, W)`` bool."""
    band = np.zeros(object_map.shape, bool)
    if width <= 0:
        return band
    r_in, r_out = (width + 1) // 2, width // 2
    for obj in np.unique(object_map):
        if obj == 0:
            continue
        m = (object_map == obj).astype(np.uint8)
        band |= (m > 0) & (cv2.erode(m, _disc(r_in)) == 0)  # outside the image counts as inside
        if r_out:
            band |= (m == 0) & (cv2.dilate(m, _disc(r_out)) > 0)
    return band


def _sample_drafts(rng: np.random.Generator, p: SceneParams) -> list[_Draft]:
    size = p.image_size
    drafts = []
    for _ in range(int(rng.integers(p.min_instances, p.max_instances + 1))):
        label = int(rng.integers(len(CLASS_SPECS))) + 1
        spec = CLASS_SPECS[label - 1]
        extent = np.exp(rng.uniform(np.log(p.min_scale), np.log(p.max_scale))) * size  # log-uniform scale
        radius = extent / 2.0
        margin = 0.5 * radius  # at most half the radius may leave the image
        center = (float(rng.uniform(margin, size - margin)), float(rng.uniform(margin, size - margin)))
        placement = Placement(center, float(radius), float(rng.uniform(0, 2 * np.pi)),
                              float(np.exp(rng.uniform(np.log(0.85), np.log(1.15)))))
        alpha, truncated = rasterize(OUTLINES[spec.shape](rng), placement, size)
        drafts.append(_Draft(label, placement, alpha, truncated))
    return drafts


def _keep_visible(drafts: list[_Draft], p: SceneParams) -> list[tuple[_Draft, np.ndarray]]:
    """Top-down: drop drafts that the kept drafts above them hide nearly completely.
    Returns the kept drafts in drawing order with their visible masks."""
    covered = np.zeros((p.image_size, p.image_size), bool)
    kept = []
    r_in = (p.band_width + 1) // 2
    for d in reversed(drafts):
        full = d.alpha >= 128
        visible = full & ~covered
        interior = cv2.erode(visible.astype(np.uint8), _disc(r_in)) if r_in else visible.astype(np.uint8)
        if visible.sum() >= p.min_visible_fraction * full.sum() and interior.sum() >= p.min_interior_px:
            kept.append((d, visible))
            covered |= full
    return kept[::-1]


def make_scene(rng: np.random.Generator, p: SceneParams) -> Scene:
    """Sample and render one scene. Everything random comes from ``rng`` in a fixed order."""
    size = p.image_size
    while True:  # a scene where every instance vanished is redrawn (rare: the top one is never occluded)
        kept = _keep_visible(_sample_drafts(rng, p), p)
        if kept:
            break
    image = background(rng, size)
    object_map = np.zeros((size, size), np.uint8)
    instances = []
    for obj_id, (d, visible) in enumerate(kept, start=1):
        ys, xs = np.nonzero(d.alpha)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        u, v = d.placement.to_local(gx, gy)
        spec = CLASS_SPECS[d.label - 1]
        surface = object_appearance(rng, spec.hue, spec.pattern, u, v, d.placement.radius)
        a = d.alpha[y0:y1, x0:x1, None].astype(np.float32) / 255.0
        image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * (1.0 - a) + surface * a
        object_map[visible] = obj_id
        vy, vx = np.nonzero(visible)
        box = (int(vx.min()), int(vy.min()), int(vx.max()), int(vy.max()))
        instances.append(Instance(d.label, visible, box, d.truncated))
    image += rng.normal(0.0, rng.uniform(1.5, 5.0), image.shape).astype(np.float32)  # sensor noise
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)

    band = void_band(object_map, p.band_width)
    class_lut = np.zeros(256, np.uint8)
    for obj_id, inst in enumerate(instances, start=1):
        class_lut[obj_id] = inst.label
    class_map = class_lut[object_map]
    object_map = object_map.copy()
    object_map[band] = VOID
    class_map[band] = VOID
    return Scene(image, object_map, class_map, band, instances)
