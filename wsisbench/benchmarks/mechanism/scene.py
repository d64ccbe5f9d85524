"""Scene composition of the mechanism benchmark: a plan of instances, their placement under the part
rules, the background-layer paint (low contrast, clutter) and the label maps.

Per image (everything from one ``rng``, in a fixed order):

1. **Plan.** With probability ``person_rate`` (label-noise view) 1 person (2 with probability 0.3); with
   probability ``multi_rate`` a *group* of 2-4 instances of one class (probabilities 0.5 / 0.3 / 0.2);
   then single instances of other classes (distinct), so that there is at least one family instance and
   at most ``max_instances`` in all. A class draw is uniform over the 40 family classes, or, in the
   imbalance view, a uniform draw kept with probability ``q_c`` and redrawn otherwise.
2. **Objects.** Each instance: body outline of its class (family outline + the member's shape parameter;
   with ``member_cue='part'`` the parameter of a random member of the family, drawn first; with
   ``body_family='random'`` the family of the body, outline, pattern and colours, is itself drawn first,
   uniformly over the 8 families, so the body says nothing about the class),
   extent (unit-disc diameter) log-uniform in ``[min_scale, hi] * image_size`` with ``hi = max_scale *
   min(1, sqrt(2.5 / n))`` for ``n`` planned instances, any rotation (person: upright +- 14 degrees),
   aspect jitter 0.93-1.07. The PART sits on the body's edge: its centre at 0.7-1.0 of the outer radius
   along a random direction (person: the head, on top), its size set so that the part covers a target
   fraction ``U(min_part_fraction, max_part_fraction)`` of the object (part union body).
3. **Placement** (drawing order = a random order of the plan). Group members after the first are placed
   *touching* a placed member (probability ``touching_rate``; masks 8-adjacent, no overlap) or *apart*
   (at least 3 px of background between them). Every placement must keep these rules for every instance
   (else another position is tried; an instance that finds none is left out; a plan whose group ends with
   fewer than 2 members is redrawn):

   - the part is never hidden: at least 95 % of its pixels stay visible and inside the image;
   - the visible part fraction, visible part px / visible object px, stays in [0.10, 0.20];
   - at least ``min_interior_px`` object pixels lie outside the void band.

   So labels are always predictable from the parts, and at most ~25 % of a body is hidden or truncated.
4. **Background layer.** A textured background (``synthetic.textures.background``), then, with
   probability ``low_contrast_rate`` per instance, a soft patch (radius 1.4-1.9 x the object's) in the
   instance's own body colours under it, and with probability ``clutter_rate`` 1-2 unlabelled clutter
   blobs in its body colours touching its outline (centred 0.4 blob radius outside the edge, radius
   0.3-0.5 x the object's). Low-contrast bodies also get half their pattern contrast.
5. **Objects** are painted in drawing order (body, then part over it), sensor noise is added, and the
   label maps are made as in the embedded benchmark (VOC void band of ``band_width`` px along every object
   outline), plus the part map: 0 not an object, 1 part, 2 body, 255 void band.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from wsisbench.benchmarks.synthetic.scene import VOID, Instance, Scene, void_band
from wsisbench.benchmarks.synthetic.shapes import Outline, Placement, rasterize
from wsisbench.benchmarks.synthetic.textures import background

from .appearance import (
    BodyColours,
    blob_alpha,
    body_colours,
    body_surface,
    colour_field,
    paint,
    part_colour,
    part_surface,
)
from .families import BASE_CLASSES, FAMILIES, FAMILY_BY_NAME, PERSON, MechClass
from .outlines import BODY_OUTLINES, PART_OUTLINES, outer_radius, outline_area

#: part map values
PART, BODY = 1, 2
#: the visible part fraction every labelled instance keeps
VISIBLE_PART_RANGE = (0.10, 0.20)
#: share of a part's pixels that must stay visible (and inside the image)
MIN_PART_VISIBLE = 0.95
#: background px kept between group members placed apart
APART_GAP_PX = 3
_PLACE_TRIES = 40
_PLAN_TRIES = 8


@dataclass(frozen=True)
class MechSceneParams:
    """Scene sampling parameters; sizes are fractions of the image side unless named ``_px``.

    ``class_weights``: keep probability per family class (label order) for the imbalance view, None =
    uniform. ``person``: the label-noise view's dominant class exists (label ``len(BASE_CLASSES) + 1``).
    """

    image_size: int = 128
    min_instances: int = 1
    max_instances: int = 6
    min_scale: float = 0.25
    max_scale: float = 0.55
    multi_rate: float = 0.55
    touching_rate: float = 0.5
    min_part_fraction: float = 0.12
    max_part_fraction: float = 0.17
    low_contrast_rate: float = 0.2
    clutter_rate: float = 0.3
    person_rate: float = 0.0
    band_width: int = 2
    min_interior_px: int = 20
    class_weights: tuple[float, ...] | None = None
    member_cue: str = "body"
    body_family: str = "own"

    @property
    def person(self) -> bool:
        return self.person_rate > 0


@dataclass
class PartInfo:
    """Per labelled instance: ``part_mask`` ``(H, W)`` bool visible part pixels (void band not removed),
    ``part_area`` / ``area`` (visible px), ``group`` (index of its same-class group in the plan, -1 for a
    single), ``low_contrast``, ``clutter`` (number of clutter blobs touching it) and ``body_family`` (the
    family whose body it wears: its own unless ``body_family='random'``; '' for a person; not written to disk)."""

    part_mask: np.ndarray
    part_area: int
    area: int
    group: int
    low_contrast: bool
    clutter: int
    body_family: str = ""

    @property
    def part_fraction(self) -> float:
        return self.part_area / max(self.area, 1)


@dataclass
class MechanismScene:
    """``scene``: the embedded benchmark's :class:`Scene` (image, object / class maps with void band,
    instances in drawing order), ``part_map`` ``(H, W)`` uint8 (0 / 1 part / 2 body / 255 void band),
    ``parts`` (one :class:`PartInfo` per instance), ``touching_pairs`` / ``apart_pairs``: pairs of
    same-class instances whose visible masks are 8-adjacent or overlap / are not."""

    scene: Scene
    part_map: np.ndarray
    parts: list[PartInfo] = field(default_factory=list)
    touching_pairs: int = 0
    apart_pairs: int = 0

    @property
    def has_same_class_multiple(self) -> bool:
        labels = [inst.label for inst in self.scene.instances]
        return len(labels) != len(set(labels))


@dataclass
class _Obj:
    """One object on its own square canvas of ``side`` px; ``full`` / ``part`` are hard masks there."""

    label: int
    cls: MechClass
    group: int
    placement: Placement  # in canvas coordinates
    outline: Outline
    part_placement: Placement  # in canvas coordinates
    body_alpha: np.ndarray
    part_alpha: np.ndarray
    full: np.ndarray
    part: np.ndarray
    part_theta: float  # direction of the part in the body's unit frame
    body_family: str = ""  # family whose outline, pattern and colours the body has ('' for a person)
    ox: int = 0
    oy: int = 0
    full_img: np.ndarray | None = None
    part_img: np.ndarray | None = None
    vis: np.ndarray | None = None
    part_vis: np.ndarray | None = None

    @property
    def side(self) -> int:
        return self.full.shape[0]

    @property
    def half(self) -> int:
        return self.side // 2

    @property
    def radius(self) -> float:
        return self.placement.radius

    def image_center(self) -> tuple[float, float]:
        return self.ox + self.placement.center[0], self.oy + self.placement.center[1]


def _paste(local: np.ndarray, ox: int, oy: int, size: int) -> np.ndarray:
    """``local`` placed with its top-left corner at ``(ox, oy)`` on a ``size x size`` canvas (clipped)."""
    out = np.zeros((size, size), local.dtype)
    s = local.shape[0]
    x0, y0, x1, y1 = max(ox, 0), max(oy, 0), min(ox + s, size), min(oy + s, size)
    if x0 < x1 and y0 < y1:
        out[y0:y1, x0:x1] = local[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
    return out


def _draw_class(rng: np.random.Generator, p: MechSceneParams, exclude: set[int]) -> int:
    """A family class label (1..40) not in ``exclude``: uniform, or kept with probability ``q_c``."""
    k = len(BASE_CLASSES)
    while True:
        c = int(rng.integers(k))
        if c + 1 in exclude:
            continue
        if p.class_weights is None or rng.random() < p.class_weights[c]:
            return c + 1


def _plan(rng: np.random.Generator, p: MechSceneParams) -> list[tuple[int, int]]:
    """``(label, group)`` per planned instance in drawing order; ``group`` -1 for singles."""
    person_label = len(BASE_CLASSES) + 1
    budget = p.max_instances
    groups: list[tuple[int, int]] = []
    if p.person and rng.random() < p.person_rate:
        n = 2 if rng.random() < 0.3 else 1
        groups.append((person_label, n))
        budget -= n
    used: set[int] = set()
    if rng.random() < p.multi_rate and budget >= 2:
        k = min(budget, int(rng.choice([2, 3, 4], p=[0.5, 0.3, 0.2])))
        c = _draw_class(rng, p, used)
        groups.append((c, k))
        used.add(c)
        budget -= k
    planned = sum(n for _, n in groups)
    lo = max(0 if used else 1, min(p.min_instances - planned, budget))
    hi = max(lo, min(budget, 3))
    items = [(label, gi if n > 1 else -1) for gi, (label, n) in enumerate(groups) for _ in range(n)]
    for _ in range(int(rng.integers(lo, hi + 1))):
        c = _draw_class(rng, p, used)
        used.add(c)
        items.append((c, -1))
    return [items[i] for i in rng.permutation(len(items))]


def _spec_of(label: int) -> MechClass:
    return PERSON if label == len(BASE_CLASSES) + 1 else BASE_CLASSES[label - 1]


def _build(rng: np.random.Generator, label: int, group: int, extent: float, p: MechSceneParams) -> _Obj:
    """Rasterize one object on its own canvas, sizing the part to the target fraction."""
    cls = _spec_of(label)
    person = cls.member < 0
    value = cls.value
    family = "" if person else cls.family
    if p.body_family == "random" and not person:  # the body names nothing: any family's body, drawn first
        family = str(rng.choice([f.name for f in FAMILIES]))
    if p.member_cue == "part" and not person:  # the body names the family only: a random member's parameter
        value = float(rng.choice(FAMILY_BY_NAME[family].values))
    outline = BODY_OUTLINES["figure" if person else FAMILY_BY_NAME[family].outline](value)
    radius = extent / 2.0
    angle = float(rng.uniform(-0.25, 0.25) if person else rng.uniform(0, 2 * np.pi))
    aspect = float(np.exp(rng.uniform(np.log(0.93), np.log(1.07))))
    half = math.ceil(1.75 * radius * max(aspect, 1 / aspect)) + 2
    side = 2 * half + 1
    center = (half + float(rng.uniform(0, 1)), half + float(rng.uniform(0, 1)))
    placement = Placement(center, radius, angle, aspect)
    body_alpha, _ = rasterize(outline, placement, side)
    body = body_alpha >= 128

    theta = -np.pi / 2 if person else float(rng.uniform(0, 2 * np.pi))
    depth = 0.95 if person else float(rng.uniform(0.7, 1.0))
    rho = outer_radius(outline, theta)
    part_center = placement.to_image(np.array([[np.cos(theta), np.sin(theta)]]) * rho * depth)[0]
    part_angle = float(rng.uniform(0, 2 * np.pi))
    target = float(rng.uniform(p.min_part_fraction, p.max_part_fraction))
    part_outline = PART_OUTLINES[cls.part]
    r_part = radius * math.sqrt(target * outline_area(outline) / outline_area(part_outline))
    for _ in range(5):  # the union grows with the part: a few multiplicative corrections
        r_part = min(r_part, 0.6 * radius)
        part_placement = Placement((float(part_center[0]), float(part_center[1])), r_part, part_angle)
        part_alpha, _ = rasterize(part_outline, part_placement, side)
        part = part_alpha >= 128
        full = body | part
        fraction = part.sum() / max(int(full.sum()), 1)
        if abs(fraction - target) < 0.005:
            break
        r_part *= math.sqrt(target / max(fraction, 1e-3))
    return _Obj(label, cls, group, placement, outline, part_placement, body_alpha, part_alpha, full, part, theta,
                family)


def _set_offset(obj: _Obj, cx: float, cy: float) -> None:
    """Place the object so that its centre lands near ``(cx, cy)`` (integer shift of its canvas)."""
    obj.ox = round(cx - obj.placement.center[0])
    obj.oy = round(cy - obj.placement.center[1])


def _fraction_ok(part_px: int, px: int) -> bool:
    return px > 0 and VISIBLE_PART_RANGE[0] <= part_px / px <= VISIBLE_PART_RANGE[1]


def _try_place(obj: _Obj, placed: list[_Obj], size: int) -> bool:
    """Check the part rules for ``obj`` on top of ``placed`` at its current offset; commit when they hold."""
    full_img = _paste(obj.full, obj.ox, obj.oy, size)
    part_img = _paste(obj.part, obj.ox, obj.oy, size)
    part_px = int(part_img.sum())
    if part_px < MIN_PART_VISIBLE * obj.part.sum() or not _fraction_ok(part_px, int(full_img.sum())):
        return False
    for e in placed:
        cover = e.vis & full_img
        if not cover.any():
            continue
        e_part = int((e.part_vis & ~full_img).sum())
        if e_part < MIN_PART_VISIBLE * e.part.sum() or not _fraction_ok(e_part, int(e.vis.sum() - cover.sum())):
            return False
    for e in placed:
        e.vis &= ~full_img
        e.part_vis &= ~full_img
    obj.full_img, obj.part_img, obj.vis, obj.part_vis = full_img, part_img, full_img.copy(), part_img.copy()
    return True


_K3 = np.ones((3, 3), np.uint8)


def _touch_offset(rng: np.random.Generator, obj: _Obj, mate: _Obj, size: int) -> bool:
    """Put ``obj`` against ``mate`` along a random direction (no overlap, 8-adjacent); False if it fails."""
    phi = rng.uniform(0, 2 * np.pi)
    mx, my = mate.image_center()
    lo, hi = 0.0, float(mate.half + obj.half + 1)
    for _ in range(12):  # bisection on the centre distance: overlap below lo, none at hi
        mid = 0.5 * (lo + hi)
        _set_offset(obj, mx + mid * np.cos(phi), my + mid * np.sin(phi))
        if (_paste(obj.full, obj.ox, obj.oy, size) & mate.full_img).any():
            lo = mid
        else:
            hi = mid
        if hi - lo < 0.5:
            break
    _set_offset(obj, mx + hi * np.cos(phi), my + hi * np.sin(phi))
    mine = _paste(obj.full, obj.ox, obj.oy, size)
    if (mine & mate.full_img).any():
        return False
    return bool((cv2.dilate(mine.view(np.uint8), _K3).view(bool) & mate.full_img).any())


def _apart_ok(obj: _Obj, members: list[_Obj], size: int) -> bool:
    if not members:
        return True
    k = np.ones((2 * APART_GAP_PX + 1, 2 * APART_GAP_PX + 1), np.uint8)
    grown = cv2.dilate(_paste(obj.full, obj.ox, obj.oy, size).view(np.uint8), k).view(bool)
    return not any((grown & m.full_img).any() for m in members)


def _place_all(rng: np.random.Generator, objs: list[_Obj], p: MechSceneParams) -> list[_Obj]:
    """Place the objects in order; returns those placed (drawing order)."""
    size = p.image_size
    placed: list[_Obj] = []
    for obj in objs:
        members = [e for e in placed if obj.group >= 0 and e.group == obj.group]
        touch = bool(members) and rng.random() < p.touching_rate
        for _ in range(_PLACE_TRIES):
            if touch:
                mate = members[int(rng.integers(len(members)))]
                if not _touch_offset(rng, obj, mate, size):
                    continue
            else:
                margin = 0.3 * obj.radius
                _set_offset(obj, rng.uniform(margin, size - margin), rng.uniform(margin, size - margin))
                if not _apart_ok(obj, members, size):
                    continue
            if _try_place(obj, placed, size):
                placed.append(obj)
                break
    return placed


def _interior_ok(vis: np.ndarray, p: MechSceneParams) -> bool:
    r_in = (p.band_width + 1) // 2
    m = vis.view(np.uint8)
    if r_in:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_in + 1, 2 * r_in + 1)))
    return int(m.sum()) >= p.min_interior_px


def _restack(placed: list[_Obj]) -> None:
    """Recompute the visible masks of ``placed`` (drawing order) from their full masks."""
    above = np.zeros_like(placed[-1].full_img) if placed else None
    for obj in reversed(placed):
        obj.vis = obj.full_img & ~above
        obj.part_vis = obj.part_img & ~above
        above |= obj.full_img


def _layout(rng: np.random.Generator, p: MechSceneParams) -> list[_Obj]:
    """Plan, build and place; redraw a plan whose same-class group ends with fewer than 2 members
    (at most ``_PLAN_TRIES`` times) or that placed no family instance."""
    for attempt in itertools.count():
        plan = _plan(rng, p)
        n = len(plan)
        hi = max(p.min_scale, p.max_scale * min(1.0, math.sqrt(2.5 / n)))
        group_extent: dict[int, float] = {}
        objs = []
        for label, group in plan:
            if group >= 0 and group in group_extent:  # members of a group: similar sizes
                extent = group_extent[group] * float(rng.uniform(0.85, 1.15))
            else:
                extent = float(np.exp(rng.uniform(np.log(p.min_scale), np.log(hi))))
                if group >= 0:
                    group_extent[group] = extent
            objs.append(_build(rng, label, group, extent * p.image_size, p))
        placed = _place_all(rng, objs, p)
        while placed and not all(_interior_ok(o.vis, p) for o in placed):
            placed = [o for o in placed if _interior_ok(o.vis, p)]  # rare: tiny visible remains
            _restack(placed)
        groups_ok = all(sum(o.group == g for o in placed) >= 2 for g in {g for _, g in plan if g >= 0})
        if any(o.cls.member >= 0 for o in placed) and (groups_ok or attempt >= _PLAN_TRIES - 1):
            return placed
    raise AssertionError("unreachable")


def _surface_window(obj: _Obj, alpha: np.ndarray):
    """Bounds ``(y0, y1, x0, x1)`` of the non-zero ``alpha`` on the object's canvas and its ``u, v``
    coordinates there (pixels, the body's rotated frame)."""
    ys, xs = np.nonzero(alpha)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    return (y0, y1, x0, x1), gx, gy


def _blend_local(image: np.ndarray, obj: _Obj, alpha: np.ndarray, surface_fn) -> None:
    """Blend ``surface_fn(gx, gy)`` (canvas pixel grids of the window) with ``alpha`` into the image."""
    if not alpha.any():
        return
    (y0, y1, x0, x1), gx, gy = _surface_window(obj, alpha)
    surface = surface_fn(gx, gy)
    size = image.shape[0]
    iy0, iy1 = max(obj.oy + y0, 0), min(obj.oy + y1, size)
    ix0, ix1 = max(obj.ox + x0, 0), min(obj.ox + x1, size)
    if iy0 >= iy1 or ix0 >= ix1:
        return
    sy, sx = iy0 - obj.oy - y0, ix0 - obj.ox - x0
    win = (slice(sy, sy + iy1 - iy0), slice(sx, sx + ix1 - ix0))
    a = alpha[y0:y1, x0:x1][win][..., None].astype(np.float32) / 255.0
    image[iy0:iy1, ix0:ix1] = image[iy0:iy1, ix0:ix1] * (1.0 - a) + surface[win] * a


def _outline_point(obj: _Obj, theta: float, push: float) -> tuple[float, float]:
    """Image coordinates of the body's outer edge along unit-frame direction ``theta``, pushed outwards by
    ``push`` px."""
    rho = outer_radius(obj.outline, theta)
    d = np.array([[np.cos(theta), np.sin(theta)]])
    edge = obj.placement.to_image(d * rho)[0]
    centre = np.asarray(obj.placement.center)
    out = edge - centre
    out = out / max(float(np.linalg.norm(out)), 1e-6)
    return float(edge[0] + push * out[0] + obj.ox), float(edge[1] + push * out[1] + obj.oy)


def make_mechanism_scene(rng: np.random.Generator, p: MechSceneParams) -> MechanismScene:
    """Sample and render one scene. Everything random comes from ``rng`` in a fixed order."""
    size = p.image_size
    objs = _layout(rng, p)
    image = background(rng, size)
    looks = []
    for obj in objs:
        person = obj.cls.member < 0
        colours: BodyColours = body_colours(rng, None if person else FAMILY_BY_NAME[obj.body_family].hue)
        low = bool(rng.random() < p.low_contrast_rate)
        clutter = int(rng.random() < p.clutter_rate) * (1 + int(rng.random() < 0.35))
        looks.append((colours, part_colour(rng, obj.cls.part_hue, person), low, clutter))
    for obj, (colours, _, low, _) in zip(objs, looks, strict=True):  # background layer: low-contrast patches
        if low:
            cx, cy = obj.image_center()
            alpha = blob_alpha(rng, (cx, cy), obj.radius * float(rng.uniform(1.4, 1.9)), size, 0.2)
            paint(image, cv2.GaussianBlur(alpha, (0, 0), 2.0), colour_field(rng, colours, size, 0.5))
    for obj, (colours, _, _, clutter) in zip(objs, looks, strict=True):  # ... and clutter blobs touching it
        for _ in range(clutter):
            theta = obj.part_theta + np.pi + float(rng.uniform(-0.5 * np.pi, 0.5 * np.pi))
            r_blob = obj.radius * float(rng.uniform(0.3, 0.5))
            centre = _outline_point(obj, theta, 0.4 * r_blob)
            paint(image, blob_alpha(rng, centre, r_blob, size, 0.3), colour_field(rng, colours, size, 0.8))
    for obj, (colours, pcol, low, _) in zip(objs, looks, strict=True):
        pattern = "weave" if obj.cls.member < 0 else FAMILY_BY_NAME[obj.body_family].pattern

        def body_fn(gx, gy, obj=obj, colours=colours, pattern=pattern, low=low):
            u, v = obj.placement.to_local(gx, gy)
            return body_surface(rng, pattern, colours, u, v, obj.radius, 0.5 if low else 1.0)

        def part_fn(gx, gy, obj=obj, pcol=pcol):
            u, v = obj.part_placement.to_local(gx, gy)
            return part_surface(rng, pcol, u, v, obj.part_placement.radius)

        _blend_local(image, obj, obj.body_alpha, body_fn)
        _blend_local(image, obj, obj.part_alpha, part_fn)
    image += rng.normal(0.0, rng.uniform(1.5, 4.0), image.shape).astype(np.float32)  # sensor noise
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return _labels(image, objs, looks, p)


def _labels(image: np.ndarray, objs: list[_Obj], looks: list, p: MechSceneParams) -> MechanismScene:
    size = p.image_size
    object_map = np.zeros((size, size), np.uint8)
    part_map = np.zeros((size, size), np.uint8)
    instances, parts = [], []
    for obj_id, (obj, look) in enumerate(zip(objs, looks, strict=True), start=1):
        vis, part_vis = obj.vis, obj.part_vis
        object_map[vis] = obj_id
        part_map[vis] = BODY
        part_map[part_vis] = PART
        vy, vx = np.nonzero(vis)
        box = (int(vx.min()), int(vy.min()), int(vx.max()), int(vy.max()))
        truncated = int(obj.full_img.sum()) < int(obj.full.sum())
        instances.append(Instance(obj.label, vis, box, truncated))
        parts.append(PartInfo(part_vis, int(part_vis.sum()), int(vis.sum()), obj.group, look[2], look[3],
                              obj.body_family))
    band = void_band(object_map, p.band_width)
    class_lut = np.zeros(256, np.uint8)
    for obj_id, inst in enumerate(instances, start=1):
        class_lut[obj_id] = inst.label
    class_map = class_lut[object_map]
    object_map[band] = VOID
    class_map[band] = VOID
    part_map[band] = VOID
    touching = apart = 0
    for i in range(len(instances)):
        grown = cv2.dilate(instances[i].mask.view(np.uint8), _K3).view(bool)
        for j in range(i + 1, len(instances)):
            if instances[i].label == instances[j].label:
                if (grown & instances[j].mask).any():
                    touching += 1
                else:
                    apart += 1
    scene = Scene(image, object_map, class_map, band, instances)
    return MechanismScene(scene, part_map, parts, touching, apart)
