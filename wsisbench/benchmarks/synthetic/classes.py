"""The embedded benchmark's object classes: a shape, a colour family and a surface pattern each.

Label index ``i + 1`` in the label maps is ``EMBEDDED_CLASSES[i]``; index 0 is background.
Neighbouring hues in this table are far apart, and the hues of split A and split B interleave around the
colour wheel, so neither the class nor the A/B split can be read off the colour alone.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassSpec:
    """One object class: ``shape`` (a key of ``shapes.OUTLINES``), base ``hue`` in degrees [0, 360)
    and ``pattern`` (a key of ``textures.PATTERNS``)."""

    name: str
    shape: str
    hue: float
    pattern: str


#: the class table, in label order (label index = position + 1)
CLASS_SPECS: tuple[ClassSpec, ...] = (
    ClassSpec("circle", "circle", 0.0, "stripes"),
    ClassSpec("square", "square", 180.0, "dots"),
    ClassSpec("triangle", "triangle", 72.0, "checker"),
    ClassSpec("star", "star", 252.0, "concentric"),
    ClassSpec("cross", "cross", 144.0, "waves"),
    ClassSpec("ring", "ring", 324.0, "radial"),
    ClassSpec("hexagon", "hexagon", 36.0, "speckle"),
    ClassSpec("crescent", "crescent", 216.0, "crosshatch"),
    ClassSpec("diamond", "diamond", 108.0, "gradient"),
    ClassSpec("heart", "heart", 288.0, "zigzag"),
)

#: class names in label order (label index 1..K); index 0 of the label maps is background
EMBEDDED_CLASSES: tuple[str, ...] = tuple(spec.name for spec in CLASS_SPECS)

#: the fixed class split for partially supervised methods: A = first half, B = second half
EMBEDDED_CLASS_SPLIT: dict[str, list[str]] = {
    "A": list(EMBEDDED_CLASSES[: len(EMBEDDED_CLASSES) // 2]),
    "B": list(EMBEDDED_CLASSES[len(EMBEDDED_CLASSES) // 2:]),
}
