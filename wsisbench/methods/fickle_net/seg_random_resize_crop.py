"""``SegRandomResizeCrop``: random rescale, pad and crop of an image and its label maps (DeepLab-style)."""
from __future__ import annotations

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS


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
