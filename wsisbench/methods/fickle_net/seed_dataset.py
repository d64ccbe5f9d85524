"""``SeedSegDataset``: training images with their seed cues (and GT for the pixel-labelled ones)."""
from __future__ import annotations

from pathlib import Path

from mmengine.dataset import BaseDataset

from wsisbench.datasets.classification import multi_hot
from wsisbench.errors import DataError
from wsisbench.registry import DATASETS


@DATASETS.register_module()
class SeedSegDataset(BaseDataset):
    """Samples of a VOC-layout split plus ``seed_path`` (``<seed_dir>/<id>.png``), ``multi_hot`` [K],
    ``is_full`` and ``full_label_path`` (the ground truth, only for ids in ``full_label_ids``).

    Args:
        data_root, split, classes, sbd_root: as :class:`wsisbench.datasets.VOCSegDataset`.
        seed_dir: folder of the seed PNGs written by the localization stage.
        full_label_ids: ids whose pixel labels are used (semi-supervised setting); others are weak.
    """

    def __init__(self, data_root: str, split: str, seed_dir: str, classes: tuple[str, ...],
                 full_label_ids=(), sbd_root: str | None = None, pipeline=(), **kwargs):
        self.voc_args = dict(data_root=data_root, split=split, sbd_root=sbd_root,
                             metainfo=dict(classes=tuple(classes)), show_progress=False)
        self.seed_dir = Path(seed_dir)
        self.full_label_ids = {str(i) for i in full_label_ids}
        super().__init__(metainfo=dict(classes=tuple(classes)), pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> list[dict]:
        from wsisbench.datasets.voc import VOCSegDataset

        source = VOCSegDataset(**self.voc_args)
        k = len(self.metainfo["classes"])
        out = []
        for i in range(len(source)):
            info = source.get_data_info(i)
            seed_path = self.seed_dir / f"{info['img_id']}.png"
            if not seed_path.is_file():
                raise DataError(f"{seed_path}: seed map of training image {info['img_id']!r} is missing "
                                f"(the localization stage did not finish?)")
            full = info["img_id"] in self.full_label_ids
            out.append(dict(img_path=info["img_path"], img_id=info["img_id"], seed_path=str(seed_path),
                            multi_hot=multi_hot(info["image_labels"], k), is_full=full,
                            full_label_path=info["seg_map_path"] if full else None))
        missing = self.full_label_ids - {s["img_id"] for s in out}
        if missing:
            raise DataError(f"{len(missing)} pixel-labelled id(s) are not in split {self.voc_args['split']!r}, "
                            f"e.g. {sorted(missing)[:3]}")
        return out
