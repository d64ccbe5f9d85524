"""Generating the embedded benchmark: parameters, cache location, atomic generation and ``meta.json``.

Every image has its own random generator, ``PCG64(SeedSequence([seed, split_key, index]))``, so an image
depends only on (generator version, scene parameters, seed, split, index): not on the order of generation
nor on the size of the other split. Equal parameters give byte-identical files.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from wsisbench.errors import DataError, WsisbenchError
from wsisbench.utils.atomic import atomic_directory, atomic_write_json
from wsisbench.utils.hashing import stable_hash

from .classes import EMBEDDED_CLASS_SPLIT, EMBEDDED_CLASSES
from .encoding import encode_jpeg, voc_colormap
from .scene import VOID, SceneParams, make_scene
from .writers_coco import CocoWriter
from .writers_lid import LidWriter
from .writers_voc import VocWriter

#: bump whenever the same parameters would give different files
GENERATOR_VERSION = 1
GENERATOR_NAME = "wsisbench.synthetic"
SPLITS = ("train", "val")
_SPLIT_KEYS = {"train": 1, "val": 2}


@dataclass(frozen=True)
class EmbeddedParams:
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
        checks = [
            (self.num_train >= 1, "num_train must be >= 1"),
            (self.num_val >= 1, "num_val must be >= 1"),
            (32 <= self.image_size <= 4096, "image_size must be in [32, 4096] pixels"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.band_width is None or 0 <= self.band_width <= self.image_size // 8,
             "band_width must be in [0, image_size / 8] pixels"),
            (1 <= self.jpeg_quality <= 95, "jpeg_quality must be in [1, 95]"),
            (1 <= self.min_instances <= self.max_instances <= 16, "need 1 <= min_instances <= max_instances <= 16"),
            (0.05 <= self.min_scale <= self.max_scale <= 0.9, "need 0.05 <= min_scale <= max_scale <= 0.9"),
        ]
        for ok, message in checks:
            if not ok:
                raise WsisbenchError(f"embedded benchmark parameters: {message} (got {self})")

    def resolved(self) -> dict:
        """All parameters with the automatic ones filled in (what ``meta.json`` records and the hash covers)."""
        d = asdict(self)
        d["band_width"] = default_band_width(self.image_size) if self.band_width is None else self.band_width
        d["min_interior_px"] = max(4, round(20 * (self.image_size / 128) ** 2))
        d["min_visible_fraction"] = 0.25
        return d

    def scene_params(self) -> SceneParams:
        r = self.resolved()
        return SceneParams(image_size=self.image_size, min_instances=self.min_instances,
                           max_instances=self.max_instances, min_scale=self.min_scale, max_scale=self.max_scale,
                           band_width=r["band_width"], min_visible_fraction=r["min_visible_fraction"],
                           min_interior_px=r["min_interior_px"])

    def digest(self) -> str:
        """Short hash of generator name, version and resolved parameters."""
        return stable_hash({"generator": GENERATOR_NAME, "version": GENERATOR_VERSION,
                            "params": self.resolved()}, length=10)

    def dir_name(self) -> str:
        return f"embedded-v{GENERATOR_VERSION}-{self.digest()}"


def default_band_width(image_size: int) -> int:
    """VOC draws ~5 px void bands on ~500 px images; here 1 px per 64 px of image side, at least 1
    (2 px at 128 px)."""
    return max(1, round(image_size / 64))


def default_home() -> Path:
    """``$WSISBENCH_HOME`` or ``~/.cache/wsisbench``."""
    return Path(os.environ.get("WSISBENCH_HOME") or "~/.cache/wsisbench").expanduser()


def embedded_root(params: EmbeddedParams | None = None) -> Path:
    """Where :func:`ensure_embedded` keeps the benchmark for ``params`` by default:
    ``<home>/benchmarks/embedded-v<version>-<hash>``."""
    return default_home() / "benchmarks" / (params or EmbeddedParams()).dir_name()


def image_id(split: str, index: int) -> str:
    return f"{split}_{index:06d}"


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of one image, independent of every other image's."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _SPLIT_KEYS[split], index])))


def load_meta(root: str | os.PathLike) -> dict:
    """Read ``<root>/meta.json`` of an embedded benchmark."""
    path = Path(root) / "meta.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: missing; {root} is not a generated embedded benchmark") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: unreadable ({e})") from None


def _is_benchmark(root: Path) -> bool:
    try:
        return load_meta(root).get("generator", {}).get("name") == GENERATOR_NAME
    except DataError:
        return False


def is_generated(root: str | os.PathLike, params: EmbeddedParams | None = None) -> bool:
    """True when ``root`` holds a complete embedded benchmark generated with ``params`` (default parameters
    when None) by this generator version."""
    params = params or EmbeddedParams()
    try:
        return load_meta(root).get("generator", {}).get("hash") == params.digest()
    except DataError:
        return False


def _param_diff(meta: dict, params: EmbeddedParams) -> str:
    """``"seed 0 -> 2, ..."``: how ``params`` differ from those recorded in ``meta``."""
    old = dict(meta.get("generator", {}).get("params", {}), version=meta.get("generator", {}).get("version"))
    new = dict(params.resolved(), version=GENERATOR_VERSION)
    diff = [f"{k} {old.get(k)} -> {v}" for k, v in new.items() if old.get(k) != v]
    return ", ".join(diff) or "same parameters, different hash"


def _meta(params: EmbeddedParams, counts: dict) -> dict:
    palette = voc_colormap(256)
    return {
        "name": "embedded",
        "generator": {"name": GENERATOR_NAME, "version": GENERATOR_VERSION, "hash": params.digest(),
                      "params": params.resolved()},
        "seed": params.seed,
        "image_size": params.image_size,
        "classes": list(EMBEDDED_CLASSES),
        "num_classes": len(EMBEDDED_CLASSES),
        "label_indices": {"background": 0, **{n: i for i, n in enumerate(EMBEDDED_CLASSES, start=1)},
                          "void": VOID},
        "ignore_index": VOID,
        "band_width": params.resolved()["band_width"],
        "palette": palette[: len(EMBEDDED_CLASSES) + 1].tolist(),
        "void_color": palette[VOID].tolist(),
        "class_split": {k: list(v) for k, v in EMBEDDED_CLASS_SPLIT.items()},
        "splits": list(SPLITS),
        "counts": counts,
        "layout": {
            "voc": "VOC2012",
            "voc_image_sets": {s: f"VOC2012/ImageSets/Segmentation/{s}.txt" for s in (*SPLITS, "trainval")},
            "coco": {s: f"annotations/instances_{s}.json" for s in SPLITS},
            "coco_image_dir": "VOC2012/JPEGImages",
            "lid": "LID",
        },
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
    ``seed``, ``band_width``, ...), or pass ``params`` whole. The benchmark is built in a temporary sibling directory and renamed into
    place, so ``out_dir`` is either complete or absent. A directory that exists and is neither empty nor an
    embedded benchmark is never replaced. Returns ``out_dir``.
    """
    if params is not None and kwargs:
        raise TypeError("pass either params or keyword parameters, not both")
    p = params if params is not None else EmbeddedParams(**kwargs)
    out = Path(out_dir).expanduser()
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or _is_benchmark(out))):
        raise DataError(f"{out}: exists and is not an embedded benchmark; refusing to replace it "
                        f"(choose another directory)")
    with atomic_directory(out) as tmp:
        _write_benchmark(Path(tmp), p, progress)
    return out


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    """An exclusive lock on ``root`` (a file in the system's temporary directory named by the hash of the
    absolute path) so that two processes on this machine do not generate the same benchmark at once."""
    lock_dir = Path(tempfile.gettempdir()) / "wsisbench-locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{stable_hash(str(root.absolute()))}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


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
    in_cache = root is None
    root = embedded_root(p) if root is None else Path(root).expanduser()
    with _lock(root):
        if root.exists() and not force:
            if is_generated(root, p):
                return root
            if not in_cache and _is_benchmark(root):
                raise DataError(f"{root}: holds an embedded benchmark with other parameters "
                                f"({_param_diff(load_meta(root), p)}); use force=True (--force) to replace it "
                                f"or choose another directory")
            if not in_cache and (not root.is_dir() or any(root.iterdir())):
                raise DataError(f"{root}: exists and is not an embedded benchmark; choose another directory")
        return generate_embedded(root, progress=progress, params=p)
