"""An on-disk cache of each image's proposals, keyed by the generator and its complete options.

Layout: ``<root>/<method>-<key>/`` holds ``store.json`` (the method and its complete options, for people) and
one ``<image_id>.npz`` per image in the packed form of :func:`wsisbench.proposals.files.save_proposal_file`
(1 bit per pixel, compressed: about 20 KiB for 200 proposals of a 128 px image). ``key`` hashes the method, its
options with the defaults filled in and the storage version, so two settings never share a folder, and
leaving an option at its default or naming it gives the same folder. Every file is written atomically
(a temporary sibling renamed into place), so concurrent or interrupted runs never leave a half-written file;
a cache file that cannot be read is computed again.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from wsisbench.errors import DataError
from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_json
from wsisbench.utils.hashing import stable_hash
from wsisbench.utils.progress import progress

from .files import load_proposal_file, proposal_file_bytes
from .generators import mask_proposals, resolve_options

#: bump when the stored content of a setting changes (a new rule, a fixed bug), so old caches are not reused
STORE_VERSION = 1
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

ImageLoader = Callable[[Any], np.ndarray]


class ProposalStore:
    """Proposals of ``method`` with ``options`` (``mask_proposals`` keywords, ``max_proposals`` included),
    cached per image under ``root``.

    ``get(image_id, image_loader)`` returns ``bool[N, H, W]``, computing them on a miss from
    ``image_loader(image_id)`` (``uint8[H, W, 3]`` BGR); ``hits`` and ``misses`` count the two cases.
    """

    def __init__(self, root: str | os.PathLike, method: str = "selective_search", options: dict | None = None):
        options = dict(options or {})
        max_proposals = options.pop("max_proposals", 300)
        self.method = method
        self.options = resolve_options(method, options, max_proposals)  # complete, validated
        self.key = stable_hash({"method": method, "options": self.options, "version": STORE_VERSION})
        self.root = Path(root)
        self.dir = self.root / f"{method}-{self.key}"
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"ProposalStore({str(self.dir)!r})"

    def path(self, image_id) -> Path:
        """The cache file of ``image_id`` (letters, digits, '.', '_' and '-'; not starting with a dot)."""
        name = str(image_id)
        if not _SAFE_ID.match(name):
            raise ValueError(f"image id {name!r} cannot name a cache file (use letters, digits, '.', '_', '-')")
        return self.dir / f"{name}.npz"

    def has(self, image_id) -> bool:
        return self.path(image_id).is_file()

    def _write_description(self) -> None:
        desc = self.dir / "store.json"
        if not desc.is_file():
            atomic_write_json(desc, {"method": self.method, "options": self.options, "version": STORE_VERSION})

    def compute(self, image_id, image_loader: ImageLoader) -> np.ndarray:
        """Compute ``image_id``'s proposals and write them to the cache (replacing what was there)."""
        opts = dict(self.options)
        max_proposals = opts.pop("max_proposals")
        masks = mask_proposals(image_loader(image_id), self.method, max_proposals=max_proposals, **opts)
        self._write_description()
        atomic_write_bytes(self.path(image_id), proposal_file_bytes(masks))
        return masks

    def get(self, image_id, image_loader: ImageLoader) -> np.ndarray:
        """``bool[N, H, W]`` proposals of ``image_id``: from the cache, or computed and cached."""
        path = self.path(image_id)
        if path.is_file():
            try:
                masks = load_proposal_file(path)
                self.hits += 1
                return masks
            except DataError:
                pass  # unreadable (e.g. a disk error truncated it): compute it again
        self.misses += 1
        return self.compute(image_id, image_loader)

    def ensure(self, image_ids: Iterable, image_loader: ImageLoader, desc: str | None = None,
               disable_progress: bool = False) -> dict[str, int]:
        """Compute the proposals of every image in ``image_ids`` not yet cached, with a progress bar.

        Returns ``{'computed': n, 'cached': m}``.
        """
        ids = list(image_ids)
        computed = 0
        bar = progress(ids, desc=desc or f"proposals {self.method}", disable=disable_progress, unit="img")
        for image_id in bar:
            if not self.has(image_id):
                self.compute(image_id, image_loader)
                computed += 1
        return {"computed": computed, "cached": len(ids) - computed}
