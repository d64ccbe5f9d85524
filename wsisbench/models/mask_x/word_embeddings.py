"""Class embeddings from a user-supplied GloVe-style text file (Mask^X R-CNN's 'transfer w/ GloVe' input).

File format (as the GloVe releases, e.g. ``glove.840B.300d.txt``): one word per line followed by its vector,
separated by spaces::

    person 0.123 -0.456 ...
    cat 0.789 ...

A class name of several words ("traffic light", "potted plant") is the mean of its words' vectors; lookups
are exact first, then lower-case. Nothing is downloaded: the file is given by the user.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from wsisbench.errors import DataError, WsisbenchError


def _words_of(name: str) -> list[str]:
    return [w for w in name.replace("_", " ").replace("-", " ").split() if w]


def require_file(path: str | os.PathLike | None) -> Path:
    """The embedding file's path; WsisbenchError when none is given or it does not exist."""
    if not path:
        raise WsisbenchError("transfer input 'embedding' needs a word-embedding file: set "
                             "model.roi_head.mask_head.transfer_input.embedding_file=/path/to/glove.txt "
                             "(GloVe text format: 'word v1 v2 ... vD' per line)")
    path = Path(path).expanduser()
    if not path.is_file():
        raise WsisbenchError(f"{path}: word-embedding file does not exist (GloVe text format: "
                             f"'word v1 v2 ... vD' per line)")
    return path


def load_class_embeddings(path: str | os.PathLike | None, class_names: Sequence[str]) -> np.ndarray:
    """float32 [K, D]: one vector per class of ``class_names`` (K classes) read from ``path``.

    Raises:
        WsisbenchError: no path given, or the file does not exist.
        DataError: a malformed line, vectors of different lengths, or a class word missing from the file.
    """
    path = require_file(path)
    wanted = {w for name in class_names for w in _words_of(name)}
    wanted |= {w.lower() for w in wanted}
    vectors: dict[str, np.ndarray] = {}
    dim = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, 1):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word not in wanted or word in vectors:
                continue
            try:
                vec = np.array(rest.split(), dtype=np.float32)
            except ValueError:
                raise DataError(f"{path}:{line_no}: the vector of {word!r} is not a list of numbers") from None
            if dim is None:
                dim = vec.size
            if vec.size == 0 or vec.size != dim:
                raise DataError(f"{path}:{line_no}: {word!r} has {vec.size} values, expected {dim}")
            vectors[word] = vec
    out, missing = [], []
    for name in class_names:
        words = _words_of(name)
        found = [vectors.get(w, vectors.get(w.lower())) for w in words]
        if not words or any(v is None for v in found):
            missing.append(name)
            continue
        out.append(np.mean(found, axis=0))
    if missing:
        raise DataError(f"{path}: no vector for the words of class(es) {missing}")
    return np.stack(out).astype(np.float32)
