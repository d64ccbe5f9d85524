"""Body and part outlines of the mechanism benchmark, in the unit coordinates of ``synthetic.shapes``.

An outline is a :class:`~wsisbench.benchmarks.synthetic.shapes.Outline`: filled ``(N, 2)`` polygons and
holes, ``(x, y)`` points inside the unit disc (y down). Body outlines take the family's shape parameter
(number of holes, number of points, or aspect = length / width); part outlines are small fixed shapes whose
unit disc is scaled to the part radius. Everything here is deterministic (no random numbers): the
per-instance variation (scale, rotation, small aspect jitter, part position) is applied by the scene.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wsisbench.benchmarks.synthetic.shapes import Outline


def _ring(radius_fn: Callable[[np.ndarray], np.ndarray], n: int = 160) -> np.ndarray:
    """``(n, 2)`` polygon of the star-shaped curve ``r(theta)`` around the origin."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    r = radius_fn(t)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def _circle(radius: float, center=(0.0, 0.0), n: int = 48) -> np.ndarray:
    return _ring(lambda t: np.full_like(t, radius), n) + np.asarray(center, np.float64)


def _regular(n: int, radius: float, start_deg: float = -90.0) -> np.ndarray:
    a = np.deg2rad(start_deg) + 2.0 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)


def _rounded_rect(half_w: float, half_h: float, corner: float, n_corner: int = 8) -> np.ndarray:
    """Rectangle ``[-half_w, half_w] x [-half_h, half_h]`` with rounded corners of radius ``corner``."""
    pts = []
    for cx, cy, a0 in ((half_w - corner, half_h - corner, 0.0), (-half_w + corner, half_h - corner, 90.0),
                       (-half_w + corner, -half_h + corner, 180.0), (half_w - corner, -half_h + corner, 270.0)):
        a = np.deg2rad(a0 + np.linspace(0.0, 90.0, n_corner))
        pts.append(np.stack([cx + corner * np.cos(a), cy + corner * np.sin(a)], axis=1))
    return np.concatenate(pts)


def hole_centers(n: int, spread: float) -> np.ndarray:
    """``(n, 2)`` centres of ``n`` holes (0..4): one in the middle, or ``n`` on a circle of radius
    ``spread``."""
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    start = {2: 0.0, 3: -90.0, 4: 45.0}[n]
    return _regular(n, spread, start)


# ----- body outlines: f(value) -> Outline; value = holes | points | aspect ---------------------------------

def body_disc(holes: float) -> Outline:
    """Disc of radius 1 with ``holes`` round holes (radius 0.17)."""
    n = int(holes)
    return Outline((_circle(1.0, n=72),), tuple(_circle(0.17, c, 24) for c in hole_centers(n, 0.45)))


def body_star(points: float) -> Outline:
    """Star with ``points`` tips (outer radius 1, inner 0.55)."""
    n = int(points)
    pts = np.empty((2 * n, 2))
    pts[0::2], pts[1::2] = _regular(n, 1.0), _regular(n, 0.55, -90.0 + 180.0 / n)
    return Outline((pts,))


def body_ellipse(aspect: float) -> Outline:
    """Ellipse with semi-axes 1 (x) and ``1 / aspect`` (y)."""
    t = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    return Outline((np.stack([np.cos(t), np.sin(t) / aspect], axis=1),))


def body_slab(holes: float) -> Outline:
    """Rounded square (half side 0.74, corner radius 0.2) with ``holes`` square holes (side 0.26)."""
    n = int(holes)
    square = np.array([[-0.13, -0.13], [0.13, -0.13], [0.13, 0.13], [-0.13, 0.13]])
    return Outline((_rounded_rect(0.74, 0.74, 0.2),), tuple(square + c for c in hole_centers(n, 0.42)))


def body_gear(points: float) -> Outline:
    """Cog wheel with ``points`` flat-topped teeth (radius 0.8 +- 0.17)."""
    n = int(points)
    return Outline((_ring(lambda t: 0.8 + 0.17 * np.clip(3.0 * np.cos(n * t), -1.0, 1.0), 36 * n),))


def body_capsule(aspect: float) -> Outline:
    """Stadium of length 2 (x) and width ``2 / aspect`` with round ends."""
    w = 1.0 / aspect
    a = np.linspace(-np.pi / 2, np.pi / 2, 24)
    right = np.stack([1.0 - w + w * np.cos(a), w * np.sin(a)], axis=1)
    return Outline((np.concatenate([right, -right]),))


def body_flower(points: float) -> Outline:
    """Flower with ``points`` round petals: ``r = 0.72 + 0.28 cos(points theta)``."""
    n = int(points)
    return Outline((_ring(lambda t: 0.72 + 0.28 * np.cos(n * t), 40 * n),))


def body_shield(holes: float) -> Outline:
    """Regular hexagon (radius 0.97) with ``holes`` triangular holes (radius 0.2)."""
    n = int(holes)
    tri = _regular(3, 0.2)
    return Outline((_regular(6, 0.97, 0.0),), tuple(tri + c for c in hole_centers(n, 0.45)))


def body_figure(value: float = 0.0) -> Outline:
    """The person's body: a torso with shoulders and two legs (height 1.75, width 1.1, centred), head not
    included (the head is the part, attached at the top)."""
    pts = np.array([[-0.55, -0.55], [-0.3, -0.75], [0.3, -0.75], [0.55, -0.55], [0.5, 0.3], [0.36, 1.0],
                    [0.08, 1.0], [0.0, 0.5], [-0.08, 1.0], [-0.36, 1.0], [-0.5, 0.3]])
    return Outline((pts - [0.0, 0.125],))


#: outline kind -> ``f(value) -> Outline``
BODY_OUTLINES: dict[str, Callable[[float], Outline]] = {
    "disc": body_disc, "star": body_star, "ellipse": body_ellipse, "slab": body_slab, "gear": body_gear,
    "capsule": body_capsule, "flower": body_flower, "shield": body_shield, "figure": body_figure,
}


# ----- part outlines (unit disc -> part radius) --------------------------------------------------------------

def _plus(w: float = 0.36) -> np.ndarray:
    return np.array([[-w, -1], [w, -1], [w, -w], [1, -w], [1, w], [w, w], [w, 1], [-w, 1], [-w, w], [-1, w],
                     [-1, -w], [-w, -w]], np.float64) * 0.95


def _half_disc() -> np.ndarray:
    a = np.linspace(0.0, np.pi, 24)
    return np.stack([np.cos(a), np.sin(a) - 0.4], axis=1)


def _star4() -> np.ndarray:
    pts = np.empty((8, 2))
    pts[0::2], pts[1::2] = _regular(4, 1.0), _regular(4, 0.42, -45.0)
    return pts


#: part shape -> Outline in unit coordinates (each family has its own part shape; person: 'disc')
PART_OUTLINES: dict[str, Outline] = {
    "triangle": Outline((_regular(3, 1.0) + [0.0, 0.15],)),
    "disc": Outline((_circle(1.0),)),
    "square": Outline((_regular(4, 1.0, 45.0),)),
    "plus": Outline((_plus(),)),
    "diamond": Outline((np.array([[0.0, -1.0], [0.62, 0.0], [0.0, 1.0], [-0.62, 0.0]]),)),
    "halfdisc": Outline((_half_disc(),)),
    "star4": Outline((_star4(),)),
    "bar": Outline((np.array([[-1.0, -0.42], [1.0, -0.42], [1.0, 0.42], [-1.0, 0.42]]),)),
}


def polygon_area(pts: np.ndarray) -> float:
    """Area of a simple ``(N, 2)`` polygon (shoelace), unit coordinates."""
    x, y = pts[:, 0], pts[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def outline_area(outline: Outline) -> float:
    """Filled area minus holes, unit coordinates (holes lie inside the fills)."""
    return sum(polygon_area(p) for p in outline.fills) - sum(polygon_area(p) for p in outline.holes)


def outer_radius(outline: Outline, theta: float) -> float:
    """Distance from the origin to the outermost crossing of the ray at angle ``theta`` (radians, in unit
    coordinates, y down) with the first fill polygon: where a part attached at that angle meets the edge."""
    poly = outline.fills[0]
    p, q = poly, np.roll(poly, -1, axis=0)
    d = np.array([np.cos(theta), np.sin(theta)])
    e = q - p
    den = d[0] * e[:, 1] - d[1] * e[:, 0]  # cross(d, e)
    ok = np.abs(den) > 1e-12
    safe = np.where(ok, den, 1.0)
    t = (p[:, 0] * e[:, 1] - p[:, 1] * e[:, 0]) / safe  # cross(p, e) / cross(d, e): distance along the ray
    s = (p[:, 0] * d[1] - p[:, 1] * d[0]) / safe  # cross(p, d) / cross(d, e): position on the edge
    hit = ok & (t > 0) & (s >= 0) & (s <= 1)
    return float(t[hit].max()) if hit.any() else float(np.abs(poly).max())
