"""Which training images are pixel-labelled in the semi-supervised setting (FickleNet Table 3)."""
from __future__ import annotations

from pathlib import Path

from wsisbench.datasets.voc import read_id_list, resolve_voc_root
from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import RunContext


def pixel_labelled_ids(ctx: RunContext, train_ids: list[str]) -> list[str]:
    """The union of ``semi.full_label_ids``, the ids of ``semi.full_label_list`` and the first
    ``semi.num_full`` training ids (sorted); empty when ``semi.enabled`` is False.

    ``full_label_list`` is a text file of ids, absolute or relative to the VOC2012 folder (the VOC
    presets use ``ImageSets/Segmentation/train.txt``: the 1,464 images of "1.4K strong").
    """
    semi = ctx.cfg.get("semi") or {}
    if not semi.get("enabled", False):
        return []
    ids = [str(i) for i in semi.get("full_label_ids") or []]
    if semi.get("full_label_list"):
        path = Path(str(semi.full_label_list)).expanduser()
        if not path.is_absolute():
            path = resolve_voc_root(ctx.data_root) / path
        ids += read_id_list(path)
    if semi.get("num_full"):
        ids += sorted(train_ids)[: int(semi.num_full)]
    ids = sorted(set(ids))
    if not ids:
        raise WsisbenchError("semi.enabled is True but no pixel-labelled image is named: set semi.full_label_ids, "
                             "semi.full_label_list or semi.num_full")
    unknown = sorted(set(ids) - set(train_ids))
    if unknown:
        raise WsisbenchError(f"{len(unknown)} pixel-labelled id(s) are not training images of split "
                             f"{ctx.cfg.benchmark.train_split!r}, e.g. {unknown[:3]}")
    return ids
