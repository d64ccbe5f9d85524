"""Shape outlines in unit coordinates and their anti-aliased rasterization with OpenCV.

An outline is a list of filled polygons and a list of holes, each an ``(N, 2)`` float array of ``(x, y)``
points inside the unit disc (radius 1 around the origin, y pointing down as in images). Small per-instance
variations (the star's inner radius, the ring's hole, the crescent's bite) come from ``rng``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

#: fixed-point bits used for sub-pixel polygon vertices in ``cv2.fillPoly``
_SHIFT = 4


@dataclass(frozen=True)
class Outline:
    """``fills`` and ``holes``: lists of ``(N, 2)`` float64 polygons in unit coordinates."""

    fills: tuple[np.ndarray, ...]
    holes: tuple[np.ndarray, ...] = ()


def _regular(n: int, radius: float = 1.0, start_deg: float = -90.0) -> np.ndarray:
    """``(n, 2)`` vertices of a regular polygon, the first one at ``start_deg`` (-90 = pointing up)."""
    a = np.deg2rad(start_deg) + 2.0 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)


def _circle(radius: float = 1.0, center=(0.0, 0.0), n: int = 64) -> np.ndarray:
    return _regular(n, radius, 0.0) + np.asarray(center, dtype=np.float64)


def circle(rng: np.random.Generator) -> Outline:
    return Outline((_circle(),))


def square(rng: np.random.Generator) -> Outline:
    h = 0.74
    return Outline((np.array([[-h, -h], [h, -h], [h, h], [-h, h]]),))


def triangle(rng: np.random.Generator) -> Outline:
    pts = _regular(3, 1.0)
    return Outline((pts + [0.0, 0.15],))  # move the centroid down so the triangle fills the disc evenly


def star(rng: np.random.Generator) -> Outline:
    inner = rng.uniform(0.38, 0.5)
    outer = _regular(5, 1.0)
    inner_pts = _regular(5, inner, -90.0 + 36.0)
    pts = np.empty((10, 2))
    pts[0::2], pts[1::2] = outer, inner_pts
    return Outline((pts + [0.0, 0.08],))


def cross(rng: np.random.Generator) -> Outline:
    w = rng.uniform(0.26, 0.34)  # half width of an arm
    L = 0.92
    pts = np.array([[-w, -L], [w, -L], [w, -w], [L, -w], [L, w], [w, w],
                    [w, L], [-w, L], [-w, w], [-L, w], [-L, -w], [-w, -w]])
    return Outline((pts,))


def ring(rng: np.random.Generator) -> Outline:
    return Outline((_circle(),), (_circle(rng.uniform(0.48, 0.6)),))


def hexagon(rng: np.random.Generator) -> Outline:
    return Outline((_regular(6, 0.97, 0.0),))


def crescent(rng: np.random.Generator) -> Outline:
    offset = rng.uniform(0.4, 0.55)
    return Outline((_circle(),), (_circle(rng.uniform(0.8, 0.9), (offset, -0.1 * offset)),))


def diamond(rng: np.random.Generator) -> Outline:
    half_w = rng.uniform(0.52, 0.62)
    return Outline((np.array([[0.0, -1.0], [half_w, 0.0], [0.0, 1.0], [-half_w, 0.0]]),))


def heart(rng: np.random.Generator) -> Outline:
    t = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    x = 16.0 * np.sin(t) ** 3
    y = -(13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y], axis=1)
    pts -= (pts.max(0) + pts.min(0)) / 2.0
    pts /= np.abs(pts).max() * 1.02
    return Outline((pts,))


#: shape name -> ``f(rng) -> Outline``
OUTLINES: dict[str, Callable[[np.random.Generator], Outline]] = {
    "circle": circle, "square": square, "triangle": triangle, "star": star, "cross": cross,
    "ring": ring, "hexagon": hexagon, "crescent": crescent, "diamond": diamond, "heart": heart,
}


@dataclass(frozen=True)
class Placement:
    """Where an outline lands in the image: ``center`` (x, y) in pixels, ``radius`` in pixels (the unit
    disc's radius), ``angle`` in radians (counter-clockwise on screen) and ``aspect`` (x stretch; y is
    divided by it, so the area is kept)."""

    center: tuple[float, float]
    radius: float
    angle: float
    aspect: float = 1.0

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """Unit ``(N, 2)`` points -> image pixel ``(N, 2)`` points."""
        local = pts * [self.radius * self.aspect, self.radius / self.aspect]
        c, s = np.cos(self.angle), np.sin(self.angle)
        rot = np.array([[c, s], [-s, c]])  # y points down: counter-clockwise on screen
        return local @ rot.T + self.center

    def to_local(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates -> the object's own frame in pixels (rotation undone, aspect kept)."""
        dx, dy = x - self.center[0], y - self.center[1]
        c, s = np.cos(self.angle), np.sin(self.angle)
        return dx * c - dy * s, dx * s + dy * c


def rasterize(outline: Outline, placement: Placement, size: int) -> tuple[np.ndarray, bool]:
    """Draw ``outline`` at ``placement`` on a ``size x size`` canvas.

    Returns the coverage ``alpha`` as ``(size, size)`` uint8 (0..255, anti-aliased edges) and
    ``truncated``: True when a vertex of the outline falls outside the image.
    """
    alpha = np.zeros((size, size), np.uint8)
    scale = float(1 << _SHIFT)
    truncated = False
    for polys, value in ((outline.fills, 255), (outline.holes, 0)):
        for poly in polys:
            pts = placement.to_image(poly)
            if value and (pts.min() < -0.5 or pts.max() > size - 0.5):
                truncated = True
            fixed = np.round(pts * scale).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(alpha, [fixed], int(value), lineType=cv2.LINE_AA, shift=_SHIFT)
    return alpha, truncated
