"""Families and classes of the mechanism benchmark, its fixed A/B class split and random class splits.

A *family* is a group of classes that share the BODY: one outline kind, one surface pattern and one colour
family. Its members differ in ONE body shape parameter (number of holes, number of points, or aspect) and
in their PART: every family has its own part shape, every member its own part hue. So

- the part alone names the class (part shape -> family, part hue -> member): image labels are predictable
  from the parts (FickleNet, DCL: a plain CAM fires on the part);
- within a family the body hardly helps classification (same outline, pattern and colours; only a small
  shape parameter differs), while the mask *shape* is shared by the family (Mask^X R-CNN: mask knowledge of
  the members in A transfers to the members in B).

Label index ``i + 1`` is ``class_names()[i]`` (index 0 is background). Classes are in family order,
member order inside a family; the optional dominant class ``person`` (label-noise view) comes last.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wsisbench.errors import WsisbenchError

#: number of members in every family
MEMBERS = 5

#: hue step between the parts of consecutive members of a family, degrees
PART_HUE_STEP = 72.0


@dataclass(frozen=True)
class FamilySpec:
    """One family: ``outline`` (a key of ``outlines.BODY_OUTLINES``), the body shape ``parameter``
    ('holes' | 'points' | 'aspect') and its ``values`` (one per member), the body ``pattern`` (a key of
    ``appearance.BODY_PATTERNS``; never a background texture), the body ``hue`` in degrees, the ``part``
    shape (a key of ``outlines.PART_OUTLINES``) and ``part_hue0``, the part hue of member 0 (member m:
    ``part_hue0 + 72 m``)."""

    name: str
    outline: str
    parameter: str
    values: tuple[float, ...]
    pattern: str
    hue: float
    part: str
    part_hue0: float

    def member_tag(self, value: float) -> str:
        """Short name of a parameter value: 'h2' (2 holes), 'p6' (6 points), 'a17' (aspect 1.7)."""
        if self.parameter == "aspect":
            return f"a{round(value * 10)}"
        return f"{self.parameter[0]}{int(value)}"


@dataclass(frozen=True)
class MechClass:
    """One class: its ``family``, ``member`` index in the family, body shape ``value``, part shape and
    ``part_hue`` (degrees). The dominant ``person`` class has ``member = -1``."""

    name: str
    family: str
    member: int
    value: float
    part: str
    part_hue: float


#: the eight families (3 by number of holes, 3 by number of points, 2 by aspect)
FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec("disc", "disc", "holes", (0, 1, 2, 3, 4), "dots", 30.0, "triangle", 0.0),
    FamilySpec("star", "star", "points", (4, 5, 6, 7, 8), "concentric", 210.0, "disc", 9.0),
    FamilySpec("ellipse", "ellipse", "aspect", (1.3, 1.5, 1.7, 1.9, 2.1), "waves", 95.0, "square", 18.0),
    FamilySpec("slab", "slab", "holes", (0, 1, 2, 3, 4), "bricks", 0.0, "plus", 27.0),
    FamilySpec("gear", "gear", "points", (5, 6, 7, 8, 9), "radial", 140.0, "diamond", 36.0),
    FamilySpec("capsule", "capsule", "aspect", (1.4, 1.7, 2.0, 2.3, 2.6), "zigzag", 265.0, "halfdisc", 45.0),
    FamilySpec("flower", "flower", "points", (3, 4, 5, 6, 7), "spiral", 320.0, "star4", 54.0),
    FamilySpec("shield", "shield", "holes", (0, 1, 2, 3, 4), "scales", 175.0, "bar", 63.0),
)

#: the dominant class of the label-noise view: own body (a figure with a 'weave' pattern, any clothing hue)
#: and a part ('head', a skin-coloured disc at the top)
PERSON = MechClass("person", "person", -1, 0.0, "disc", 25.0)


def _family_classes(f: FamilySpec) -> list[MechClass]:
    return [MechClass(f"{f.name}_{f.member_tag(v)}", f.name, m, float(v), f.part,
                      (f.part_hue0 + PART_HUE_STEP * m) % 360.0) for m, v in enumerate(f.values)]


#: the 40 family classes in label order (family-major)
BASE_CLASSES: tuple[MechClass, ...] = tuple(c for f in FAMILIES for c in _family_classes(f))

FAMILY_BY_NAME: dict[str, FamilySpec] = {f.name: f for f in FAMILIES}


def class_table(person: bool = False) -> tuple[MechClass, ...]:
    """The classes in label order (label = position + 1): the 40 family classes, then ``person`` when the
    label-noise view is on."""
    return BASE_CLASSES + ((PERSON,) if person else ())


def class_names(person: bool = False) -> list[str]:
    return [c.name for c in class_table(person)]


#: class names of the default instance (no person), label order
MECHANISM_CLASSES: tuple[str, ...] = tuple(c.name for c in BASE_CLASSES)


def family_members() -> dict[str, list[str]]:
    """family name -> member class names, member order."""
    return {f.name: [c.name for c in BASE_CLASSES if c.family == f.name] for f in FAMILIES}


def _fixed_split() -> dict[str, tuple[str, ...]]:
    """A: members 0, 2, 4 of the even families and 1, 3 of the odd ones (20 classes); B: the other 20.
    Every family has members on both sides; use A -> B (masks on A, score B) or B -> A."""
    a, b = [], []
    for fi, f in enumerate(FAMILIES):
        for c in BASE_CLASSES:
            if c.family == f.name:
                (a if (c.member % 2 == 0) == (fi % 2 == 0) else b).append(c.name)
    return {"A": tuple(a), "B": tuple(b)}


#: the fixed class split of partially supervised methods (``class_splits`` of the benchmark spec)
MECHANISM_CLASS_SPLIT: dict[str, tuple[str, ...]] = _fixed_split()


def class_splits(person: bool = False) -> dict[str, tuple[str, ...]]:
    """Named class subsets: ``A`` and ``B`` (:data:`MECHANISM_CLASS_SPLIT`); with the label-noise view,
    ``person`` (no family) joins A."""
    splits = {k: tuple(v) for k, v in MECHANISM_CLASS_SPLIT.items()}
    if person:
        splits["A"] = splits["A"] + (PERSON.name,)
    return splits


def random_class_split(num_a: int, seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A random split of the 40 family classes into ``num_a`` classes with masks (A) and the rest (B),
    for Mask^X R-CNN's curve of AP on B against the number of A classes (|A| = 10 .. 30).

    Every family gets at least one member in A and one in B when the sizes allow (``8 <= num_a <= 32``);
    otherwise as many families as possible are on both sides. Deterministic in (num_a, seed); both tuples
    are in label order.
    """
    k = len(BASE_CLASSES)
    if not 1 <= num_a <= k - 1:
        raise WsisbenchError(f"random_class_split: num_a must be in [1, {k - 1}] (got {num_a})")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 0x5B117, int(num_a)])))
    members = family_members()
    fam_order = [FAMILIES[i].name for i in rng.permutation(len(FAMILIES))]
    shuffled = {f: [members[f][i] for i in rng.permutation(len(members[f]))] for f in fam_order}
    a: list[str] = []
    b: list[str] = []
    for f in fam_order:  # one member of each family to A, one to B, while the sizes allow
        if len(a) < num_a:
            a.append(shuffled[f].pop())
        if len(b) < k - num_a:
            b.append(shuffled[f].pop())
    rest = [c for f in fam_order for c in shuffled[f]]
    rest = [rest[i] for i in rng.permutation(len(rest))]
    need = num_a - len(a)
    a += rest[:need]
    b += rest[need:]
    order = {c.name: i for i, c in enumerate(BASE_CLASSES)}
    return tuple(sorted(a, key=order.get)), tuple(sorted(b, key=order.get))


def imbalance_weights(ratio: float) -> dict[str, float]:
    """Keep probability ``q_c = ratio ** (rank_c / (K - 1))`` of each family class for the imbalance view:
    frequencies decay geometrically from 1 (rank 0) to ``ratio`` (rank K - 1). ``rank = member * 8 +
    family index``, so every family has frequent and rare members. ``ratio = 1``: balanced."""
    n_fam = len(FAMILIES)
    fam_index = {f.name: i for i, f in enumerate(FAMILIES)}
    k = len(BASE_CLASSES)
    return {c.name: float(ratio ** ((c.member * n_fam + fam_index[c.family]) / (k - 1))) for c in BASE_CLASSES}
