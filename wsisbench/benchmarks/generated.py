"""What every generated benchmark shares: cache location, per-image random streams, ``meta.json``, atomic
generation under a lock.

A generator (:class:`BenchmarkGenerator`: name, version, label such as ``"embedded"``) writes a directory with
the VOC, COCO and LID layouts of ``train`` and ``val`` and a ``meta.json`` whose ``generator`` entry records
``{name, version, hash, params}``. ``hash`` covers name, version and the resolved parameters; the cache keeps
the benchmark at ``$WSISBENCH_HOME/benchmarks/<label>-v<version>-<hash>``. Every image has its own random
generator (:func:`image_rng`), so an image depends only on (generator version, parameters, seed, split, index):
equal parameters give byte-identical files.

A generator's parameters are a frozen dataclass deriving from :class:`GeneratedParams`, which names the generator:
``class P(GeneratedParams, name="wsisbench.x", version=1, label="x")``; ``P.generator`` is then its
:class:`BenchmarkGenerator`.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Self, Sequence

import numpy as np

from wsisbench.errors import DataError, WsisbenchError
from wsisbench.utils.atomic import atomic_directory
from wsisbench.utils.hashing import stable_hash

SPLITS = ("train", "val")
_SPLIT_KEYS = {"train": 1, "val": 2}


def default_home() -> Path:
    """``$WSISBENCH_HOME`` or ``~/.cache/wsisbench``."""
    return Path(os.environ.get("WSISBENCH_HOME") or "~/.cache/wsisbench").expanduser()


def default_band_width(image_size: int) -> int:
    """VOC draws ~5 px void bands on ~500 px images; here 1 px per 64 px of image side, at least 1
    (2 px at 128 px)."""
    return max(1, round(image_size / 64))


def image_id(split: str, index: int) -> str:
    """``"train_000012"``: the id (file stem) of image ``index`` of ``split``."""
    return f"{split}_{index:06d}"


def image_rng(seed: int, split: str, index: int, *keys: int) -> np.random.Generator:
    """The random generator of one image, independent of every other image's:
    ``PCG64(SeedSequence([seed, split_key, index, *keys]))`` (``keys`` tell apart streams of one image)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _SPLIT_KEYS[split], index, *keys])))


def layout(**extra: Any) -> dict:
    """``meta.json``'s ``layout``: where the VOC, COCO and LID files are, plus the ``extra`` entries."""
    return {
        "voc": "VOC2012",
        "voc_image_sets": {s: f"VOC2012/ImageSets/Segmentation/{s}.txt" for s in (*SPLITS, "trainval")},
        **extra,
        "coco": {s: f"annotations/instances_{s}.json" for s in SPLITS},
        "coco_image_dir": "VOC2012/JPEGImages",
        "lid": "LID",
    }


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


class GeneratedParams:
    """Base of a generator's frozen parameters dataclass (what the benchmark's content depends on; all of it goes
    into the hash). Subclasses have the fields ``seed``, ``image_size`` (px, square images) and ``band_width``
    (void band in px, None: :func:`default_band_width`) and extend :meth:`resolved`."""

    generator: ClassVar[BenchmarkGenerator]

    def __init_subclass__(cls, *, name: str, version: int, label: str, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.generator = BenchmarkGenerator(name, version, label, cls)

    def _check(self, checks: Sequence[tuple[bool, str]]) -> None:
        """Raise :class:`WsisbenchError` naming the first failed ``(ok, message)`` check."""
        for ok, message in checks:
            if not ok:
                raise WsisbenchError(f"{self.generator.label} benchmark parameters: {message} (got {self})")

    def resolved(self) -> dict:
        """All parameters with the automatic ones filled in (what ``meta.json`` records and the hash covers)."""
        d = asdict(self)
        d["band_width"] = default_band_width(self.image_size) if self.band_width is None else self.band_width
        d["min_interior_px"] = max(4, round(20 * (self.image_size / 128) ** 2))
        return d

    def digest(self) -> str:
        """Short hash (10 hex digits) of generator name, version and resolved parameters."""
        g = self.generator
        return stable_hash({"generator": g.name, "version": g.version, "params": self.resolved()}, length=10)

    def dir_name(self) -> str:
        """``<label>-v<version>-<hash>``: the benchmark's directory name in the cache."""
        return f"{self.generator.label}-v{self.generator.version}-{self.digest()}"

    @classmethod
    def from_mapping(cls, params: dict) -> Self:
        """The parameters among ``params`` (other keys, e.g. a config's ``name``, and None values ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in names and v is not None})


@dataclass(frozen=True)
class BenchmarkGenerator:
    """One generator: ``name`` and ``version`` (recorded in ``meta.json``, hashed), ``label`` (the benchmark's
    name, cache directory prefix and what messages call it) and its parameters' type."""

    name: str
    version: int
    label: str
    params_type: type[GeneratedParams]

    @property
    def _a_label(self) -> str:
        return f"{'an' if self.label[0] in 'aeiou' else 'a'} {self.label}"

    def params(self, params: GeneratedParams | None = None, **kwargs) -> GeneratedParams:
        """``params`` whole, or the parameters of the fields ``kwargs`` (defaults when neither)."""
        if params is not None and kwargs:
            raise TypeError("pass either params or keyword parameters, not both")
        return params if params is not None else self.params_type(**kwargs)

    def cache_root(self, params: GeneratedParams | None = None) -> Path:
        """Where the benchmark of ``params`` (defaults when None) is kept by default:
        ``<home>/benchmarks/<label>-v<version>-<hash>``."""
        return default_home() / "benchmarks" / self.params(params).dir_name()

    def load_meta(self, root: str | os.PathLike) -> dict:
        """Read ``<root>/meta.json`` of a benchmark of this generator."""
        path = Path(root) / "meta.json"
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise DataError(f"{path}: missing; {root} is not a generated {self.label} benchmark") from None
        except (OSError, ValueError) as e:
            raise DataError(f"{path}: unreadable ({e})") from None

    def _holds_benchmark(self, root: Path) -> bool:
        """True when ``root`` holds a benchmark of this generator (any version or parameters)."""
        try:
            return self.load_meta(root).get("generator", {}).get("name") == self.name
        except DataError:
            return False

    def is_generated(self, root: str | os.PathLike, params: GeneratedParams | None = None) -> bool:
        """True when ``root`` holds a complete benchmark generated with ``params`` (defaults when None) by this
        generator version."""
        try:
            generator = self.load_meta(root).get("generator", {})
        except DataError:
            return False
        return generator.get("name") == self.name and generator.get("hash") == self.params(params).digest()

    def _param_diff(self, meta: dict, params: GeneratedParams) -> str:
        """``"seed 0 -> 2, ..."``: how ``params`` differ from those recorded in ``meta``."""
        old = dict(meta.get("generator", {}).get("params", {}), version=meta.get("generator", {}).get("version"))
        new = dict(params.resolved(), version=self.version)
        diff = [f"{k} {old.get(k)} -> {v}" for k, v in new.items() if old.get(k) != v]
        return ", ".join(diff) or "same parameters, different hash"

    def meta(self, params: GeneratedParams, classes: Sequence[str], palette: np.ndarray, void: int) -> dict:
        """The ``meta.json`` entries every generated benchmark has: generator, seed, image size, classes (label
        ``i + 1`` is ``classes[i]``, 0 background, ``void`` the void band), band width, palette (256 x 3 uint8, the
        VOC colour map) and splits."""
        return {
            "name": self.label,
            "generator": {"name": self.name, "version": self.version, "hash": params.digest(),
                          "params": params.resolved()},
            "seed": params.seed,
            "image_size": params.image_size,
            "classes": list(classes),
            "num_classes": len(classes),
            "label_indices": {"background": 0, **{n: i for i, n in enumerate(classes, start=1)}, "void": void},
            "ignore_index": void,
            "band_width": params.resolved()["band_width"],
            "palette": palette[: len(classes) + 1].tolist(),
            "void_color": palette[void].tolist(),
            "splits": list(SPLITS),
        }

    def generate(self, out_dir: str | os.PathLike, write: Callable[[Path], None]) -> Path:
        """Build a benchmark with ``write(tmp)``, which fills the empty directory ``tmp``, in a temporary sibling of
        ``out_dir`` and rename it into place (replacing a benchmark of this generator already there), so ``out_dir``
        is complete or absent. A directory that exists and is neither empty nor such a benchmark is never replaced.
        Returns ``out_dir``."""
        out = Path(out_dir).expanduser()
        if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or self._holds_benchmark(out))):
            raise DataError(f"{out}: exists and is not {self._a_label} benchmark; refusing to replace it "
                            f"(choose another directory)")
        with atomic_directory(out) as tmp:
            write(Path(tmp))
        return out

    def ensure(self, root: str | os.PathLike | None, params: GeneratedParams, *, force: bool,
               write: Callable[[Path], None]) -> Path:
        """Return the root of a complete benchmark of ``params``, generating it with ``write`` (as in
        :meth:`generate`) if absent, under a lock on the directory.

        ``root``: None -> :meth:`cache_root`. ``force``: regenerate even if present. A non-empty ``root`` that is not
        this benchmark is an error (unless ``force`` and it holds a benchmark of this generator); in the cache such a
        directory is simply regenerated.
        """
        in_cache = root is None
        root = self.cache_root(params) if root is None else Path(root).expanduser()
        with _lock(root):
            if root.exists() and not force:
                if self.is_generated(root, params):
                    return root
                if not in_cache and self._holds_benchmark(root):
                    raise DataError(f"{root}: holds {self._a_label} benchmark with other parameters "
                                    f"({self._param_diff(self.load_meta(root), params)}); use force=True (--force) "
                                    f"to replace it or choose another directory")
                if not in_cache and (not root.is_dir() or any(root.iterdir())):
                    raise DataError(f"{root}: exists and is not {self._a_label} benchmark; choose another directory")
            return self.generate(root, write)
