"""NoPeopleAllowed's "strong augmentation" (Sec. 3.1): horizontal flip, shift-scale-rotate, Gaussian noise,
random brightness and contrast, median blur and RGB shift, through albumentations, as an mmcv transform.

The paper names the operations but not their probabilities or ranges; the defaults below are albumentations'
own (p = 0.5 each; shift up to 6.25 % of the size, scale 0.9-1.1, rotation up to 45 degrees, one affine map
with reflected borders, as albumentations' ShiftScaleRotate did; Gaussian noise of standard deviation 1.2-2.8 % of
the 0-255 range, i.e. albumentations' old default variance 10-50, median blur kernel 3-5, RGB shift up to
20 levels), applied in the paper's order. The image keeps its size and dtype (uint8 [H, W, 3], BGR as mmcv
loads it; the colour operations act per channel, so the channel order does not matter).
"""
from __future__ import annotations

import random
import warnings

import numpy as np
from mmcv.transforms import BaseTransform

from wsisbench.registry import TRANSFORMS


def strong_augmentation(p: float = 0.5, shift_limit: float = 0.0625, scale_limit: float = 0.1,
                        rotate_limit: int = 45, noise_std: tuple[float, float] = (0.012, 0.028),
                        blur_limit: int = 5, rgb_shift: int = 20, seed: int | None = None):
    """An ``albumentations.Compose`` of the seven operations; ``seed``: its own random stream (None:
    albumentations draws fresh entropy, so the draws differ from run to run; :class:`StrongAugment` then
    reseeds it from the process's numpy state for every image)."""
    import albumentations as A
    import cv2

    with warnings.catch_warnings():  # albumentations 1.4's RGBShift params trip pydantic's serializer check
        warnings.filterwarnings("ignore", message="Pydantic serializer warnings", category=UserWarning)
        return _compose(A, cv2, p, shift_limit, scale_limit, rotate_limit, noise_std, blur_limit, rgb_shift, seed)


def _compose(A, cv2, p, shift_limit, scale_limit, rotate_limit, noise_std, blur_limit, rgb_shift, seed):

    ops = [
        A.HorizontalFlip(p=p),
        A.Affine(translate_percent=(-shift_limit, shift_limit), scale=(1 - scale_limit, 1 + scale_limit),
                 rotate=(-rotate_limit, rotate_limit), border_mode=cv2.BORDER_REFLECT_101, p=p),  # shift-scale-rotate
        A.GaussNoise(std_range=noise_std, p=p),
        A.RandomBrightnessContrast(p=p),
        A.MedianBlur(blur_limit=blur_limit, p=p),
        A.RGBShift(r_shift_limit=rgb_shift, g_shift_limit=rgb_shift, b_shift_limit=rgb_shift, p=p),
    ]
    return A.Compose(ops, seed=seed)


@TRANSFORMS.register_module()
class StrongAugment(BaseTransform):
    """results['img'] uint8 [H, W, 3] -> the augmented image, same shape and dtype (image-level labels are not
    touched: every operation keeps the objects in the image, up to what a shift or rotation moves out).

    Args: as :func:`strong_augmentation`. With ``seed=None`` each image's draws come from one generator
    seeded by the process's numpy state, which the training Runner seeds from the run's seed (and each
    data-loader worker from it), so a run is reproducible; albumentations would otherwise draw fresh entropy.
    """

    def __init__(self, p: float = 0.5, shift_limit: float = 0.0625, scale_limit: float = 0.1,
                 rotate_limit: int = 45, noise_std: tuple[float, float] = (0.012, 0.028), blur_limit: int = 5,
                 rgb_shift: int = 20, seed: int | None = None):
        self.compose = strong_augmentation(p, shift_limit, scale_limit, rotate_limit, tuple(noise_std),
                                           blur_limit, rgb_shift, seed)
        self.follow_process_seed = seed is None

    def transform(self, results: dict) -> dict:
        img = results["img"]
        if self.follow_process_seed:  # one shared generator, so the seven operations' draws are independent
            draw = int(np.random.randint(0, 2**31 - 1))
            self.compose.set_random_state(np.random.default_rng(draw), random.Random(draw))
        out = self.compose(image=np.ascontiguousarray(img))["image"]
        results["img"] = out.astype(img.dtype, copy=False)
        results["img_shape"] = out.shape[:2]
        return results
