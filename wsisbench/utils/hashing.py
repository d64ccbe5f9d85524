"""Stable hashes of configs and files (used for manifests and cache keys)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from .atomic import to_jsonable


def stable_hash(obj: Any, length: int = 16) -> str:
    """SHA-256 of the canonical JSON form of ``obj`` (sorted keys), first ``length`` hex digits."""
    text = json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
