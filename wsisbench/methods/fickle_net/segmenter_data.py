"""The DSRG segmenter's training data: images with their seed cues (and, semi-supervised, their ground truth).

- :class:`SeedSegDataset`: the samples of a VOC-layout split plus ``seed_path`` (the localization stage's
  ``seeds/<id>.png``), ``multi_hot`` labels, and ``full_label_path`` for pixel-labelled images;
- transforms: :class:`LoadSeedMaps` (seeds and ground truth as label maps), :class:`SegRandomFlip`,
  :class:`SegRandomResizeCrop` (image and label maps together), :class:`PackSeedSegInputs` (the model input);
- :func:`pixel_labelled_ids`: which training images are pixel-labelled in the semi-supervised setting (Table 3).
"""
from __future__ import annotations

from pathlib import Path

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset

from wsisbench.datasets.classification import multi_hot
from wsisbench.datasets.png import read_label_png
from wsisbench.datasets.voc import read_id_list, resolve_voc_root
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.errors import DataError, WsisbenchError
from wsisbench.pipeline import RunContext
from wsisbench.registry import DATASETS, TRANSFORMS


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


@TRANSFORMS.register_module()
class LoadSeedMaps(BaseTransform):
    """results['seed_path'] -> results['gt_seeds'] uint8 [H, W] (0 bg, 1..K, 255 unlabelled);
    results['full_label_path'] (or None) -> results['gt_full'] uint8 [H, W] (all 255 when None).

    Both must match the image's size (``results['img']``, loaded before).
    """

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        seeds = read_label_png(results["seed_path"])
        if seeds.shape != (h, w):
            raise DataError(f"{results['seed_path']}: seed map {seeds.shape} does not match image "
                            f"{results['img_path']} ({h}, {w})")
        results["gt_seeds"] = seeds
        full_path = results.get("full_label_path")
        if full_path:
            full = read_label_map(full_path)
            if full.shape != (h, w):
                raise DataError(f"{full_path}: label map {full.shape} does not match image ({h}, {w})")
            results["gt_full"] = full
        else:
            results["gt_full"] = np.full((h, w), 255, dtype=np.uint8)
        return results


@TRANSFORMS.register_module()
class SegRandomFlip(BaseTransform):
    """With probability ``prob`` flip results['img'] [H, W, 3] and every ``results[key]`` [H, W] left-right."""

    def __init__(self, prob: float = 0.5, keys: tuple[str, ...] = ("gt_seeds", "gt_full")):
        self.prob, self.keys = float(prob), tuple(keys)

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results["img"] = np.ascontiguousarray(results["img"][:, ::-1])
            for key in self.keys:
                if results.get(key) is not None:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
        return results


@TRANSFORMS.register_module()
class SegRandomResizeCrop(BaseTransform):
    """Rescale by a factor drawn from ``scale_range``, pad to ``crop_size``, take a random ``crop_size`` crop.

    The image [H, W, 3] is resized bilinearly and padded with ``img_pad`` (per channel, the image's own
    channel order: mmcv loads BGR, so the default is ImageNet's mean in BGR); label maps ``keys`` [H, W]
    are resized by nearest neighbour and padded with ``label_pad`` (255: left out of every loss).

    Args:
        crop_size: (h, w) of the output (321 x 321 in the FickleNet/DeepLab presets).
        scale_range: (low, high) of the random factor; (1, 1) only pads and crops.
    """

    def __init__(self, crop_size: tuple[int, int], scale_range: tuple[float, float] = (1.0, 1.0),
                 keys: tuple[str, ...] = ("gt_seeds", "gt_full"),
                 img_pad: tuple[float, float, float] = (103.53, 116.28, 123.675), label_pad: int = 255):
        self.crop_size = (int(crop_size[0]), int(crop_size[1]))
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))
        self.keys, self.img_pad, self.label_pad = tuple(keys), tuple(img_pad), int(label_pad)

    def transform(self, results: dict) -> dict:
        img = results["img"]
        scale = np.random.uniform(*self.scale_range)
        h, w = img.shape[:2]
        if scale != 1.0:
            size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
            img = mmcv.imresize(img, size, interpolation="bilinear")
            for key in self.keys:
                if results.get(key) is not None:
                    results[key] = mmcv.imresize(results[key], size, interpolation="nearest")
        ch, cw = self.crop_size
        h, w = img.shape[:2]
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        if ph or pw:
            img = mmcv.impad(img, padding=(0, 0, pw, ph), pad_val=tuple(self.img_pad))
            for key in self.keys:
                if results.get(key) is not None:
                    results[key] = mmcv.impad(results[key], padding=(0, 0, pw, ph), pad_val=self.label_pad)
        h, w = img.shape[:2]
        top = np.random.randint(0, h - ch + 1)
        left = np.random.randint(0, w - cw + 1)
        results["img"] = np.ascontiguousarray(img[top:top + ch, left:left + cw])
        for key in self.keys:
            if results.get(key) is not None:
                results[key] = np.ascontiguousarray(results[key][top:top + ch, left:left + cw])
        results["img_shape"] = results["img"].shape[:2]
        return results


@TRANSFORMS.register_module()
class PackSeedSegInputs(BaseTransform):
    """-> ``{'inputs': uint8 [3, H, W] (BGR), 'data_samples': {...}}`` with

    ``seeds`` int64 [H, W], ``full_labels`` int64 [H, W] (255 unless pixel-labelled), ``image_labels``
    float32 [K] multi-hot, ``is_full`` bool, ``img_id`` str (see :class:`DeepLabSegmentor`).
    """

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(results["img"].transpose(2, 0, 1))
        sample = {
            "seeds": torch.from_numpy(results["gt_seeds"].astype(np.int64)),
            "full_labels": torch.from_numpy(results["gt_full"].astype(np.int64)),
            "image_labels": torch.as_tensor(results["multi_hot"], dtype=torch.float32),
            "is_full": bool(results.get("is_full", False)),
            "img_id": results.get("img_id", ""),
        }
        return {"inputs": torch.from_numpy(img), "data_samples": sample}


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
