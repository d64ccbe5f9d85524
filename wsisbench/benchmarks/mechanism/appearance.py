"""Surfaces of bodies and parts, and the background-layer paint that hides masks from colour rules.

Images are float32 RGB ``(H, W, 3)`` in [0, 255]; patterns are float32 ``(H, W)`` weights in [0, 1] that
mix a body's two colours. ``u, v`` are pixel offsets from the object's centre in its own rotated frame,
``radius`` its size in pixels, ``period`` a pattern period in pixels.

Body patterns (:data:`BODY_PATTERNS`) are never background textures: the embedded backgrounds
(``synthetic.textures.BACKGROUNDS``: noise, gradients, stripes, grids/checkerboards, blotches) share none of
them. Clutter blobs and low-contrast patches take a body's *colours* (a smooth-noise mix of them), never its
pattern or outline.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from wsisbench.benchmarks.synthetic.textures import (
    fractal_noise,
    hsv,
    p_concentric,
    p_dots,
    p_radial,
    p_waves,
    p_zigzag,
)


def _soft(x: np.ndarray, sharpness: float = 3.0) -> np.ndarray:
    return np.clip(0.5 + sharpness * x, 0.0, 1.0).astype(np.float32)


def p_bricks(rng, u, v, radius, period):
    """Brick wall: rows of height ``0.7 period``, every other row shifted by half a brick; mortar = 0."""
    h = 0.7 * period
    row = np.floor(v / h)
    fu = (u / period + 0.5 * (row % 2) + rng.uniform(0, 1)) % 1.0
    fv = (v / h) % 1.0
    return ((fu > 0.14) & (fv > 0.2)).astype(np.float32)


def p_spiral(rng, u, v, radius, period):
    """A two-armed spiral around the centre."""
    r = np.sqrt(u * u + v * v)
    return _soft(np.sin(2 * np.pi * r / period + 2.0 * np.arctan2(v, u) + rng.uniform(0, 2 * np.pi)))


def p_scales(rng, u, v, radius, period):
    """Fish scales: rows of arcs around the cell's top centre, rows offset by half a cell."""
    h = 0.6 * period
    row = np.floor(v / h)
    cu = ((u / period + 0.5 * (row % 2)) % 1.0 - 0.5) * period
    dv = (v / h) % 1.0 * h
    return _soft(np.sin(2 * np.pi * np.sqrt(cu * cu + dv * dv) / (0.55 * period)))


def p_weave(rng, u, v, radius, period):
    """Basket weave: cells of fine stripes that alternate between horizontal and vertical."""
    cell = (np.floor(u / period) + np.floor(v / period)) % 2
    fine = period / 3.0
    return _soft(np.where(cell > 0, np.sin(2 * np.pi * u / fine), np.sin(2 * np.pi * v / fine)))


#: body pattern name -> ``f(rng, u, v, radius, period) -> (h, w) float32 in [0, 1]``
BODY_PATTERNS = {
    "dots": p_dots, "concentric": p_concentric, "waves": p_waves, "radial": p_radial, "zigzag": p_zigzag,
    "bricks": p_bricks, "spiral": p_spiral, "scales": p_scales, "weave": p_weave,
}


@dataclass(frozen=True)
class BodyColours:
    """The two colours of one body (float32 RGB ``(3,)``), mixed by its pattern; ``c0`` dominates."""

    c0: np.ndarray
    c1: np.ndarray


def body_colours(rng: np.random.Generator, hue: float | None) -> BodyColours:
    """Muted colours of a family's colour family (``hue`` +- 10 degrees, saturation 0.3-0.6, value
    0.45-0.85, pattern contrast 0.18-0.35 in value); ``hue=None``: any hue (the person's clothes)."""
    h0 = rng.uniform(0, 360) if hue is None else hue + rng.uniform(-10, 10)
    s0, v0 = rng.uniform(0.3, 0.6), rng.uniform(0.45, 0.85)
    contrast = rng.uniform(0.18, 0.35) * (1 if rng.random() < 0.5 else -1)
    return BodyColours(hsv(h0, s0, v0), hsv(h0 + rng.uniform(-12, 12), s0 * rng.uniform(0.7, 1.1), v0 + contrast))


def part_colour(rng: np.random.Generator, hue: float, person: bool = False) -> np.ndarray:
    """A part's colour: the class's part hue +- 5 degrees, saturated and bright (saturation 0.8-1, value
    0.8-1); the person's head: skin tones (hue +- 8, saturation 0.35-0.6, value 0.7-0.95)."""
    if person:
        return hsv(hue + rng.uniform(-8, 8), rng.uniform(0.35, 0.6), rng.uniform(0.7, 0.95))
    return hsv(hue + rng.uniform(-5, 5), rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0))


def _shading(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, radius: float, amount: float) -> np.ndarray:
    a = rng.uniform(0, 2 * np.pi)
    return (1.0 + rng.uniform(0.0, amount) * (u * np.cos(a) + v * np.sin(a)) / max(radius, 1.0)).astype(np.float32)


def body_surface(rng: np.random.Generator, pattern: str, colours: BodyColours, u: np.ndarray, v: np.ndarray,
                 radius: float, contrast_scale: float = 1.0) -> np.ndarray:
    """A body's surface ``(h, w, 3)``: its pattern (period 0.3-0.45 radius, 3-12 px) mixing ``c0`` and
    ``c1`` (contrast scaled by ``contrast_scale``), with soft directional shading."""
    period = float(np.clip(radius * rng.uniform(0.3, 0.45), 3.0, 12.0))
    t = BODY_PATTERNS[pattern](rng, u, v, radius, period).astype(np.float32)
    c1 = colours.c0 + contrast_scale * (colours.c1 - colours.c0)
    img = colours.c0 + t[..., None] * (c1 - colours.c0)
    return np.clip(img * _shading(rng, u, v, radius, 0.2)[..., None], 0, 255)


def part_surface(rng: np.random.Generator, colour: np.ndarray, u: np.ndarray, v: np.ndarray,
                 radius: float) -> np.ndarray:
    """A part's surface ``(h, w, 3)``: its flat colour with soft shading (no pattern)."""
    return np.clip(colour * _shading(rng, u, v, radius, 0.25)[..., None], 0, 255)


def blob_alpha(rng: np.random.Generator, center: tuple[float, float], radius: float, size: int,
               roughness: float = 0.25) -> np.ndarray:
    """An irregular round blob (radius ``radius`` px +- ``roughness``, a few random harmonics) drawn
    anti-aliased on a ``size x size`` canvas -> ``(size, size)`` float32 coverage in [0, 1]."""
    t = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    r = np.ones_like(t)
    for k in (2, 3, 5):
        r += roughness / k * rng.uniform(0.5, 1.0) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    pts = np.stack([center[0] + radius * r * np.cos(t), center[1] + radius * r * np.sin(t)], axis=1)
    canvas = np.zeros((size, size), np.uint8)
    cv2.fillPoly(canvas, [np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)], 255, cv2.LINE_AA, shift=4)
    return canvas.astype(np.float32) / 255.0


def colour_field(rng: np.random.Generator, colours: BodyColours, size: int, mix: float) -> np.ndarray:
    """A ``(size, size, 3)`` smooth-noise mix of a body's colours: ``c0`` plus up to ``mix`` of ``c1``
    (no pattern, so a texture cue still tells body from paint)."""
    t = fractal_noise(rng, size, size, octaves=(2, 4, 8)) * mix
    return colours.c0 + t[..., None] * (colours.c1 - colours.c0)


def paint(image: np.ndarray, alpha: np.ndarray, layer: np.ndarray) -> None:
    """``image = image * (1 - alpha) + layer * alpha`` in place; ``alpha`` ``(H, W)`` in [0, 1]."""
    a = alpha[..., None]
    image *= 1.0 - a
    image += layer * a
