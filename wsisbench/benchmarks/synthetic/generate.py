"""Generating the embedded benchmark: parameters, the scenes and counts of every image, ``meta.json``.

Cache location, per-image random streams (:func:`~wsisbench.benchmarks.generated.image_rng`), atomic generation
and the lock are those of every generated benchmark (:mod:`wsisbench.benchmarks.generated`).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from wsisbench.benchmarks.generated import SPLITS, GeneratedParams, image_id, image_rng, layout
from wsisbench.utils.atomic import atomic_write_json

from .classes import EMBEDDED_CLASS_SPLIT, EMBEDDED_CLASSES
from .encoding import encode_jpeg, voc_colormap
from .scene import VOID, SceneParams, make_scene
from .writers_coco import CocoWriter
from .writers_lid import LidWriter
from .writers_voc import VocWriter

#: bump whenever the same parameters would give different files
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class EmbeddedParams(GeneratedParams, name="wsisbench.synthetic", version=GENERATOR_VERSION, label="embedded"):
    """What the benchmark's content depends on. Defaults: 600 train + 150 val images of 128 x 128 px."""

    num_train: int = 600
    num_val: int = 150
    image_size: int = 128  #: image side in pixels (images are square)
    seed: int = 0
    band_width: int | None = None  #: void band width in px; None -> ``default_band_width(image_size)``
    jpeg_quality: int = 90
    min_instances: int = 1
    max_instances: int = 4
    min_scale: float = 0.12  #: smallest object extent / image side
    max_scale: float = 0.55  #: largest object extent / image side

    def __post_init__(self):
        self._check([
            (self.num_train >= 1, "num_train must be >= 1"),
            (self.num_val >= 1, "num_val must be >= 1"),
            (32 <= self.image_size <= 4096, "image_size must be in [32, 4096] pixels"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.band_width is None or 0 <= self.band_width <= self.image_size // 8,
             "band_width must be in [0, image_size / 8] pixels"),
            (1 <= self.jpeg_quality <= 95, "jpeg_quality must be in [1, 95]"),
            (1 <= self.min_instances <= self.max_instances <= 16, "need 1 <= min_instances <= max_instances <= 16"),
            (0.05 <= self.min_scale <= self.max_scale <= 0.9, "need 0.05 <= min_scale <= max_scale <= 0.9"),
        ])

    def resolved(self) -> dict:
        """All parameters with the automatic ones filled in, ``min_visible_fraction`` included."""
        return dict(super().resolved(), min_visible_fraction=0.25)

    def scene_params(self) -> SceneParams:
        r = self.resolved()
        return SceneParams(image_size=self.image_size, min_instances=self.min_instances,
                           max_instances=self.max_instances, min_scale=self.min_scale, max_scale=self.max_scale,
                           band_width=r["band_width"], min_visible_fraction=r["min_visible_fraction"],
                           min_interior_px=r["min_interior_px"])


GENERATOR = EmbeddedParams.generator
#: ``embedded_root(params=None) -> Path``: where :func:`ensure_embedded` keeps the benchmark for ``params`` by
#: default, ``<home>/benchmarks/embedded-v<version>-<hash>``
embedded_root = GENERATOR.cache_root
#: ``load_meta(root) -> dict``: read ``<root>/meta.json`` of an embedded benchmark
load_meta = GENERATOR.load_meta
#: ``is_generated(root, params=None) -> bool``: True when ``root`` holds a complete embedded benchmark generated
#: with ``params`` (defaults when None) by this generator version
is_generated = GENERATOR.is_generated


def _meta(params: EmbeddedParams, counts: dict) -> dict:
    return {
        **GENERATOR.meta(params, EMBEDDED_CLASSES, voc_colormap(256), VOID),
        "class_split": {k: list(v) for k, v in EMBEDDED_CLASS_SPLIT.items()},
        "counts": counts,
        "layout": layout(),
    }


def _write_benchmark(out: Path, params: EmbeddedParams, progress: bool) -> None:
    """Generate every image and write all layouts and ``meta.json`` into the (empty) directory ``out``."""
    from tqdm import tqdm

    names = list(EMBEDDED_CLASSES)
    scene_params = params.scene_params()
    voc, lid = VocWriter(out, names), LidWriter(out, names)
    sizes = {"train": params.num_train, "val": params.num_val}
    ids_by_split: dict[str, list[str]] = {}
    counts = {}
    with tqdm(total=sum(sizes.values()), desc="generating the embedded benchmark", unit="img",
              disable=None if progress else True) as bar:
        for split in SPLITS:
            coco = CocoWriter(out, split, names)
            ids, per_class, images_per_class, per_image = [], Counter(), Counter(), Counter()
            for index in range(sizes[split]):
                iid = image_id(split, index)
                scene = make_scene(image_rng(params.seed, split, index), scene_params)
                jpeg = encode_jpeg(scene.image, params.jpeg_quality)
                voc.add(iid, jpeg, scene)
                coco.add(iid, scene)
                lid.add(split, iid, jpeg, scene)
                ids.append(iid)
                per_class.update(names[inst.label - 1] for inst in scene.instances)
                images_per_class.update(names[c - 1] for c in scene.labels)
                per_image[str(len(scene.instances))] += 1
                bar.update(1)
            coco.finish()
            ids_by_split[split] = ids
            counts[split] = {
                "num_images": len(ids),
                "num_instances": sum(per_class.values()),
                "instances_per_class": {n: per_class[n] for n in names},
                "images_per_class": {n: images_per_class[n] for n in names},
                "images_by_num_instances": dict(sorted(per_image.items())),
            }
    voc.finish(ids_by_split)
    lid.finish()
    atomic_write_json(out / "meta.json", _meta(params, counts))


def generate_embedded(out_dir: str | os.PathLike, *, progress: bool = True,
                      params: EmbeddedParams | None = None, **kwargs) -> Path:
    """Always generate the benchmark into ``out_dir`` (replacing a benchmark already there).

    ``kwargs`` are the fields of :class:`EmbeddedParams` (``num_train``, ``num_val``, ``image_size``,
    ``seed``, ``band_width``, ...), or pass ``params`` whole. The benchmark is built in a temporary sibling
    directory and renamed into place, so ``out_dir`` is either complete or absent. A directory that exists and is
    neither empty nor an embedded benchmark is never replaced. Returns ``out_dir``.
    """
    p = GENERATOR.params(params, **kwargs)
    return GENERATOR.generate(out_dir, lambda out: _write_benchmark(out, p, progress))


def ensure_embedded(root: str | os.PathLike | None = None, *, force: bool = False, progress: bool = True,
                    **params) -> Path:
    """Return the root of a complete embedded benchmark with these parameters, generating it if absent.

    ``root``: the benchmark directory; None -> :func:`embedded_root` (``$WSISBENCH_HOME/benchmarks/
    embedded-v<version>-<hash of the parameters>``). ``force``: regenerate even if present.
    ``params``: fields of :class:`EmbeddedParams`; defaults 600 train / 150 val images of 128 px, seed 0.
    A non-empty ``root`` that is not this benchmark is an error (unless ``force`` and it is an embedded
    benchmark); in the cache such a directory is simply regenerated.
    """
    p = EmbeddedParams(**params)
    return GENERATOR.ensure(root, p, force=force, write=lambda out: _write_benchmark(out, p, progress))
