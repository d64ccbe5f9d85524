"""result.json ``qualitative`` entries: a few images with the files a report overlays on them.

An entry is ``{"image": path, "gt": path, "pred": path, "cam": path, "caption": str}`` (all but ``image``
optional). ``image`` and ``gt`` are dataset files (absolute); ``pred`` (a label-map PNG) and ``cam`` (a
``.npy`` map, [H, W] or [C, H, W]) are artifacts of the stage that writes the entry and are stored relative
to the run's work dir, so the run folder can be moved. A stage writes into ``<stage>.partial/`` and the
runner renames it on success, so the stored path names the final folder.
"""
from __future__ import annotations

from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def qualitative_entry(out_dir: Path, image: str | Path, gt: str | Path | None = None,
                      pred: Path | None = None, cam: Path | None = None, caption: str | None = None) -> dict:
    """An entry for ``image``; ``pred`` / ``cam`` are files inside the stage folder ``out_dir``."""
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
    if caption:
        entry["caption"] = caption
    return entry
