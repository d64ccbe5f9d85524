"""Generating the mechanism benchmark: parameters, the scenes, labels and counts of every image, ``meta.json``.

Cache location, atomic generation and the lock are those of every generated benchmark
(:mod:`wsisbench.benchmarks.generated`). Every image has its own random generator, ``image_rng(seed, split,
index, 0x4D4543)``, so an image depends only on (generator version, scene parameters, seed, split, index): not on
the order of generation, the number of worker processes, nor the size of the other split. The label-noise drops
use a second stream per image (``..., 0x44524F50``), so the drop rate changes the label lists only, never an
image. Equal parameters give byte-identical files.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wsisbench.benchmarks.generated import SPLITS, GeneratedParams, image_id, image_rng, layout
from wsisbench.benchmarks.synthetic.encoding import voc_colormap
from wsisbench.utils.atomic import atomic_write_json

from .families import (
    FAMILIES,
    PERSON,
    class_names,
    class_splits,
    class_table,
    family_members,
    imbalance_weights,
)
from .scene import MIN_PART_VISIBLE, VISIBLE_PART_RANGE, VOID, MechanismScene, MechSceneParams, make_mechanism_scene
from .writers import EncodedImage, MechanismWriter, encode_image

#: bump whenever the same parameters would give different files
GENERATOR_VERSION = 1
_IMAGE_KEY = 0x4D4543  # "MEC"
_DROP_KEY = 0x44524F50  # "DROP"


@dataclass(frozen=True)
class MechanismParams(GeneratedParams, name="wsisbench.mechanism", version=GENERATOR_VERSION, label="mechanism"):
    """What the benchmark's content depends on (all of it goes into the hash). Defaults: 1,200 train +
    1,000 val images of 128 x 128 px, no label-noise / imbalance view.

    Views (off by default): ``person_rate`` > 0 adds the dominant class ``person`` to that share of the
    images (both splits); ``person_label_drop`` drops its image-level label from that share of the train
    images holding a person (label lists only: ``LID/train.txt`` and ``VOC2012/ImageLabels/train.txt``);
    ``imbalance`` < 1 makes the train split's class frequencies decay geometrically from 1 to ``imbalance``.
    """

    num_train: int = 1200
    num_val: int = 1000
    image_size: int = 128  #: image side in pixels (square images)
    seed: int = 0
    band_width: int | None = None  #: void band width in px; None -> ``max(1, round(image_size / 64))``
    jpeg_quality: int = 90
    min_instances: int = 1
    max_instances: int = 6
    min_scale: float = 0.25  #: smallest object extent / image side
    max_scale: float = 0.55  #: largest object extent / image side (shrinks with the number of instances)
    multi_rate: float = 0.55  #: share of images planned with a group of 2-4 instances of one class (PRM, DCL)
    touching_rate: float = 0.5  #: share of group members placed touching another member (else apart)
    min_part_fraction: float = 0.12  #: part / object area target range (FickleNet, DCL)
    max_part_fraction: float = 0.17
    low_contrast_rate: float = 0.2  #: share of instances on a patch of their own body colours (Mask^X R-CNN)
    clutter_rate: float = 0.3  #: share of instances with 1-2 unlabelled same-coloured blobs touching them
    person_rate: float = 0.0  #: label-noise view: share of images with a person (NoPeopleAllowed)
    person_label_drop: float = 0.0  #: label-noise view: drop rate of the person label in train label lists
    imbalance: float = 1.0  #: imbalance view: rarest / most frequent class frequency in train (1 = off)
    #: where a member's own shape parameter shows: 'body' (its body outline: masks differ within a family;
    #: Mask^X R-CNN) or 'part' (body parameters drawn at random from the family's values, so the body names
    #: the family only and the part alone names the class; FickleNet, DCL)
    member_cue: str = "body"
    #: whose body an instance wears: 'own' (its family's outline, pattern and colours) or 'random' (those of a
    #: family drawn uniformly per instance: the body says nothing about the class, only the part does;
    #: needs member_cue='part'; FickleNet, DCL)
    body_family: str = "own"

    def __post_init__(self):
        rates = ("multi_rate", "touching_rate", "low_contrast_rate", "clutter_rate", "person_rate",
                 "person_label_drop")
        self._check([
            (self.num_train >= 1 and self.num_val >= 1, "num_train and num_val must be >= 1"),
            (64 <= self.image_size <= 1024, "image_size must be in [64, 1024] pixels"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.band_width is None or 0 <= self.band_width <= self.image_size // 16,
             "band_width must be in [0, image_size / 16] pixels"),
            (1 <= self.jpeg_quality <= 95, "jpeg_quality must be in [1, 95]"),
            (1 <= self.min_instances <= self.max_instances <= 8, "need 1 <= min_instances <= max_instances <= 8"),
            (0.15 <= self.min_scale <= self.max_scale <= 0.8, "need 0.15 <= min_scale <= max_scale <= 0.8"),
            (0.105 <= self.min_part_fraction <= self.max_part_fraction <= 0.19,
             "need 0.105 <= min_part_fraction <= max_part_fraction <= 0.19 (visible rule [0.10, 0.20])"),
            (all(0.0 <= getattr(self, r) <= 1.0 for r in rates), f"{', '.join(rates)} must be in [0, 1]"),
            (self.person_label_drop == 0 or self.person_rate > 0, "person_label_drop needs person_rate > 0"),
            (self.person_rate == 0 or self.max_instances >= 3, "person_rate > 0 needs max_instances >= 3"),
            (0.0 < self.imbalance <= 1.0, "imbalance must be in (0, 1]"),
            (self.member_cue in ("body", "part"), "member_cue must be 'body' or 'part'"),
            (self.body_family in ("own", "random"), "body_family must be 'own' or 'random'"),
            (self.body_family == "own" or self.member_cue == "part", "body_family='random' needs member_cue='part'"),
        ])

    @property
    def person(self) -> bool:
        return self.person_rate > 0

    def resolved(self) -> dict:
        """All parameters with the automatic ones filled in, the visible part rule included. ``member_cue``
        and ``body_family`` (added after version 1) enter only when they differ from their defaults, so that
        existing instances keep their hash."""
        d = dict(super().resolved(), visible_part_range=list(VISIBLE_PART_RANGE), min_part_visible=MIN_PART_VISIBLE)
        for key, default in (("member_cue", "body"), ("body_family", "own")):
            if d[key] == default:
                del d[key]
        return d

    def scene_params(self, split: str) -> MechSceneParams:
        """Scene parameters of ``split``: the imbalance view applies to train only."""
        r = self.resolved()
        weights = None
        if self.imbalance < 1.0 and split == "train":
            weights = tuple(imbalance_weights(self.imbalance).values())
        return MechSceneParams(
            image_size=self.image_size, min_instances=self.min_instances, max_instances=self.max_instances,
            min_scale=self.min_scale, max_scale=self.max_scale, multi_rate=self.multi_rate,
            touching_rate=self.touching_rate, min_part_fraction=self.min_part_fraction,
            max_part_fraction=self.max_part_fraction, low_contrast_rate=self.low_contrast_rate,
            clutter_rate=self.clutter_rate, person_rate=self.person_rate, band_width=r["band_width"],
            min_interior_px=r["min_interior_px"], class_weights=weights, member_cue=self.member_cue,
            body_family=self.body_family)


GENERATOR = MechanismParams.generator
#: ``mechanism_root(params=None) -> Path``: where :func:`ensure_mechanism` keeps the benchmark,
#: ``<home>/benchmarks/mechanism-v<version>-<hash>``
mechanism_root = GENERATOR.cache_root
#: ``load_meta(root) -> dict``: read ``<root>/meta.json`` of a mechanism benchmark
load_meta = GENERATOR.load_meta
#: ``is_generated(root, params=None) -> bool``: True when ``root`` holds a complete mechanism benchmark generated
#: with ``params`` (defaults when None) by this generator version
is_generated = GENERATOR.is_generated


def mechanism_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of one image, independent of every other image's."""
    return image_rng(seed, split, index, _IMAGE_KEY)


def make_image(params: MechanismParams, split: str, index: int) -> MechanismScene:
    """The scene of image ``index`` of ``split`` (what the generator writes for it)."""
    return make_mechanism_scene(mechanism_rng(params.seed, split, index), params.scene_params(split))


def published_labels(params: MechanismParams, split: str, index: int, scene: MechanismScene) -> list[int]:
    """The image-level labels given to weak methods: the scene's labels, minus ``person`` with probability
    ``person_label_drop`` in the train split."""
    labels = list(scene.scene.labels)
    person_label = len(class_table(False)) + 1
    if split == "train" and params.person_label_drop > 0 and person_label in labels and \
            image_rng(params.seed, split, index, _DROP_KEY).random() < params.person_label_drop:
        labels.remove(person_label)
    return labels


# ------------------------------------------------------------------------------------------------ meta

@dataclass
class ImageSummary:
    """What the counts in ``meta.json`` need of one image (small, so worker processes send it cheaply)."""

    instance_labels: list[int]
    labels: list[int]  # complete image-level labels
    published: list[int]  # labels in the label lists
    multi: bool
    touching_pairs: int
    apart_pairs: int
    fractions: list[float] = field(default_factory=list)
    low_contrast: int = 0
    with_clutter: int = 0
    clutter_blobs: int = 0

    @classmethod
    def of(cls, ms: MechanismScene, published: list[int]) -> ImageSummary:
        return cls([inst.label for inst in ms.scene.instances], list(ms.scene.labels), list(published),
                   ms.has_same_class_multiple, ms.touching_pairs, ms.apart_pairs,
                   [p.part_fraction for p in ms.parts], sum(p.low_contrast for p in ms.parts),
                   sum(p.clutter > 0 for p in ms.parts), sum(p.clutter for p in ms.parts))


class _SplitStats:
    """Counts of one split, filled image by image."""

    def __init__(self, names: list[str]):
        self.names = names
        self.n_images = 0
        self.per_class, self.images_per_class, self.labelled_per_class = Counter(), Counter(), Counter()
        self.per_image = Counter()
        self.multi = self.touching_images = self.apart_images = 0
        self.touching_pairs = self.apart_pairs = 0
        self.fractions: list[float] = []
        self.low_contrast = self.with_clutter = self.clutter_blobs = 0
        self.person_images = 0
        self.dropped: list[str] = []

    def add(self, iid: str, s: ImageSummary) -> None:
        names = self.names
        self.n_images += 1
        self.per_class.update(names[c - 1] for c in s.instance_labels)
        self.images_per_class.update(names[c - 1] for c in s.labels)
        self.labelled_per_class.update(names[c - 1] for c in s.published)
        self.per_image[str(len(s.instance_labels))] += 1
        self.multi += s.multi
        self.touching_images += s.touching_pairs > 0
        self.apart_images += s.apart_pairs > 0
        self.touching_pairs += s.touching_pairs
        self.apart_pairs += s.apart_pairs
        self.fractions += s.fractions
        self.low_contrast += s.low_contrast
        self.with_clutter += s.with_clutter
        self.clutter_blobs += s.clutter_blobs
        if PERSON.name in names and names.index(PERSON.name) + 1 in s.labels:
            self.person_images += 1
            if names.index(PERSON.name) + 1 not in s.published:
                self.dropped.append(iid)

    def counts(self) -> dict:
        f = np.asarray(self.fractions, np.float64)
        out = {
            "num_images": self.n_images,
            "num_instances": sum(self.per_class.values()),
            "instances_per_class": {n: self.per_class[n] for n in self.names},
            "images_per_class": {n: self.images_per_class[n] for n in self.names},
            "images_by_num_instances": dict(sorted(self.per_image.items())),
            "images_with_same_class_multiples": self.multi,
            "share_same_class_multiples": round(self.multi / max(self.n_images, 1), 4),
            "images_with_touching_same_class": self.touching_images,
            "images_with_apart_same_class": self.apart_images,
            "same_class_touching_pairs": self.touching_pairs,
            "same_class_apart_pairs": self.apart_pairs,
            "mean_part_fraction": round(float(f.mean()), 4) if f.size else None,
            "min_part_fraction": round(float(f.min()), 4) if f.size else None,
            "max_part_fraction": round(float(f.max()), 4) if f.size else None,
            "low_contrast_instances": self.low_contrast,
            "instances_with_clutter": self.with_clutter,
            "clutter_blobs": self.clutter_blobs,
        }
        if PERSON.name in self.names:
            out["images_with_person"] = self.person_images
            out["person_labels_dropped"] = len(self.dropped)
            out["labelled_images_per_class"] = {n: self.labelled_per_class[n] for n in self.names}
        return out


def _meta(params: MechanismParams, stats: dict[str, _SplitStats]) -> dict:
    table = class_table(params.person)
    names = class_names(params.person)
    counts = {s: st.counts() for s, st in stats.items()}
    n_images = sum(st.n_images for st in stats.values())
    fractions = [f for st in stats.values() for f in st.fractions]
    splits = class_splits(params.person)
    views: dict = {"label_noise": None, "imbalance": None}
    if params.person:
        views["label_noise"] = {
            "class": PERSON.name, "label": names.index(PERSON.name) + 1, "person_rate": params.person_rate,
            "drop_rate": params.person_label_drop, "split": "train",
            "noisy_files": ["LID/train.txt", "VOC2012/ImageLabels/train.txt"],
            "complete_files": ["VOC2012/SegmentationClass", "VOC2012/SegmentationObject", "VOC2012/Annotations",
                               "VOC2012/SegmentationPart", "annotations/instances_train.json"],
            "dropped_ids": list(stats["train"].dropped),
        }
    if params.imbalance < 1.0:
        views["imbalance"] = {
            "ratio": params.imbalance, "split": "train",
            "rule": "class draws kept with probability q_c = ratio ** (rank_c / (K - 1)), rank = member * 8 + "
                    "family index (redrawn otherwise): train frequencies decay geometrically",
            "keep_probability": imbalance_weights(params.imbalance),
        }
    return {
        **GENERATOR.meta(params, names, voc_colormap(256), VOID),
        "families": {
            f.name: {"members": family_members()[f.name], "outline": f.outline, "parameter": f.parameter,
                     "values": list(f.values), "pattern": f.pattern, "body_hue": f.hue, "part_shape": f.part,
                     "part_hues": [c.part_hue for c in table if c.family == f.name]}
            for f in FAMILIES},
        "class_info": {c.name: {"family": c.family, "member": c.member, "value": c.value, "part_shape": c.part,
                                "part_hue": c.part_hue} for c in table},
        "class_split": {k: list(v) for k, v in splits.items()},
        "class_splits": {k: list(v) for k, v in splits.items()},
        "parts": {
            "description": "each object = a small class-specific PART (own shape per family, own hue per member, "
                           "on the body's edge) + a BODY (outline, pattern and colours shared by the family; "
                           "members differ in one shape parameter). Masks cover part and body.",
            "part_map": "VOC2012/SegmentationPart/<id>.png",
            "part_map_values": {"not_object": 0, "part": 1, "body": 2, "void": VOID},
            "target_part_fraction": [params.min_part_fraction, params.max_part_fraction],
            "visible_part_range": list(VISIBLE_PART_RANGE),
            "min_part_visible": MIN_PART_VISIBLE,
        },
        "views": views,
        "counts": counts,
        "summary": {
            "num_images": n_images,
            "share_same_class_multiples": round(sum(st.multi for st in stats.values()) / max(n_images, 1), 4),
            "mean_part_fraction": round(float(np.mean(fractions)), 4) if fractions else None,
        },
        "layout": layout(part_maps="VOC2012/SegmentationPart",
                         image_labels={s: f"VOC2012/ImageLabels/{s}.txt" for s in SPLITS}),
    }


# ---------------------------------------------------------------------------------------------- writing

def _render(task: tuple[MechanismParams, str, int]) -> tuple[EncodedImage, ImageSummary]:
    """One image, rendered and encoded. A pure function of its task (runs in the worker processes)."""
    params, split, index = task
    ms = make_image(params, split, index)
    labels = published_labels(params, split, index, ms)
    enc = encode_image(split, image_id(split, index), ms, labels, class_names(params.person), params.jpeg_quality)
    return enc, ImageSummary.of(ms, labels)


def _write_benchmark(out: Path, params: MechanismParams, progress: bool, workers: int | None) -> None:
    """Generate every image and write all layouts and ``meta.json`` into the (empty) directory ``out``, with
    ``workers`` processes (None: :func:`default_workers`)."""
    from tqdm import tqdm

    workers = workers or default_workers(params.num_train + params.num_val)
    names = class_names(params.person)
    writer = MechanismWriter(out, names, SPLITS)
    sizes = {"train": params.num_train, "val": params.num_val}
    stats = {split: _SplitStats(names) for split in SPLITS}
    pool = None
    if workers > 1:  # fresh interpreters: safe whatever threads (torch, OpenCV) the caller runs
        pool = multiprocessing.get_context("spawn").Pool(workers)
    try:
        with tqdm(total=sum(sizes.values()), desc="generating the mechanism benchmark", unit="img",
                  disable=None if progress else True) as bar:
            tasks = [(params, split, i) for split in SPLITS for i in range(sizes[split])]
            results = pool.imap(_render, tasks, chunksize=8) if pool else map(_render, tasks)
            for enc, summary in results:  # in task order whatever the number of workers
                writer.add(enc)
                stats[enc.split].add(enc.image_id, summary)
                bar.update(1)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    writer.finish()
    atomic_write_json(out / "meta.json", _meta(params, stats))


def default_workers(num_images: int) -> int:
    """Worker processes used when none are asked for: ``$WSISBENCH_WORKERS`` if set, else 1 below 500 images
    and otherwise half the CPU cores, at most 4."""
    if os.environ.get("WSISBENCH_WORKERS"):
        return max(1, int(os.environ["WSISBENCH_WORKERS"]))
    return 1 if num_images < 500 else max(1, min(4, (os.cpu_count() or 1) // 2))


def generate_mechanism(out_dir: str | os.PathLike, *, progress: bool = True, workers: int | None = None,
                       params: MechanismParams | None = None, **kwargs) -> Path:
    """Always generate the benchmark into ``out_dir`` (replacing a mechanism benchmark already there).

    ``kwargs``: fields of :class:`MechanismParams`, or pass ``params`` whole. ``workers``: processes
    rendering images (None: :func:`default_workers`; spawned processes); the files do not depend on it. Built in a
    temporary sibling and renamed into place, so ``out_dir`` is complete or absent; a directory that exists and is
    neither empty nor a mechanism benchmark is never replaced. Returns ``out_dir``.
    """
    p = GENERATOR.params(params, **kwargs)
    return GENERATOR.generate(out_dir, lambda out: _write_benchmark(out, p, progress, workers))


def ensure_mechanism(root: str | os.PathLike | None = None, *, force: bool = False, progress: bool = True,
                     workers: int | None = None, **params) -> Path:
    """Return the root of a complete mechanism benchmark with these parameters, generating it if absent.

    ``root``: the benchmark directory; None -> :func:`mechanism_root` (``$WSISBENCH_HOME/benchmarks/
    mechanism-v<version>-<hash>``). ``force``: regenerate even if present. ``params``: fields of
    :class:`MechanismParams`. A non-empty ``root`` that is not this benchmark is an error (unless ``force``
    and it is a mechanism benchmark); in the cache such a directory is simply regenerated.
    """
    p = MechanismParams(**params)
    return GENERATOR.ensure(root, p, force=force, write=lambda out: _write_benchmark(out, p, progress, workers))
