"""result.json ``qualitative`` entries: a few images with the files a report overlays on them.

An entry is ``{"image": path, "gt": path, "pred": path, "cam": path, "maps": {label: path}, "caption": str}``
(all but ``image`` optional). ``image`` and ``gt`` are dataset files (absolute); ``pred`` (a label-map PNG),
``cam`` (a ``.npy`` map, [H, W] or [C, H, W]) and ``maps`` (named ``.npy`` maps [H, W], which reports show
side by side across runs, e.g. a class response map and a peak response map) are artifacts of the stage that
writes the entry and are stored relative to the run's work dir, so the run folder can be moved. A stage writes
into ``<stage>.partial/`` and the runner renames it on success, so the stored path names the final folder.
"""
from __future__ import annotations

from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def qualitative_entry(out_dir: Path, image: str | Path, gt: str | Path | None = None,
                      pred: Path | None = None, cam: Path | None = None, caption: str | None = None,
                      maps: dict[str, Path] | None = None) -> dict:
    """An entry for ``image``; ``pred`` / ``cam`` / ``maps`` are files inside the stage folder ``out_dir``."""
    stage = Path(out_dir).name.removesuffix(PARTIAL_SUFFIX)

    def run_relative(path: Path) -> str:
        return f"{stage}/{Path(path).relative_to(out_dir).as_posix()}"

    entry: dict = {"image": str(image)}
    if gt is not None:
        entry["gt"] = str(gt)
    if pred is not None:
        entry["pred"] = run_relative(pred)
    if cam is not None:
        entry["cam"] = run_relative(cam)
    if maps:
        entry["maps"] = {label: run_relative(path) for label, path in maps.items()}
    if caption:
        entry["caption"] = caption
    return entry
