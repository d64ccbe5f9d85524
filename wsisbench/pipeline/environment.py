"""What a manifest records about the software a result came from."""
from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

#: distributions whose versions go into every manifest and result.json
RECORDED_PACKAGES = ("wsisbench", "torch", "mmengine", "mmcv", "mmdet", "numpy", "pycocotools",
                     "faster-coco-eval", "opencv-contrib-python-headless", "pydensecrf2")


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """{distribution: version} for :data:`RECORDED_PACKAGES` ('missing' when not installed)."""
    out = {}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The wsisbench checkout's commit (with ``-dirty`` when it has local changes), or 'unknown'."""
    repo = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment_record() -> dict:
    return {"packages": package_versions(), "git_commit": git_commit(),
            "python": platform.python_version(), "platform": platform.platform()}
