"""DSRG (Huang et al., CVPR 2018) pieces used by FickleNet's segmentation stage.

Importing this package registers ``DSRGLoss`` in :data:`wsisbench.registry.MODELS`.
"""
from .boundary_loss import boundary_loss, crf_refine, images_to_uint8, kl_to_crf
from .dense_crf import dense_crf
from .dsrg_loss import DSRGLoss, full_supervision_loss
from .region_growing import DSRG_BG_THRESHOLD, DSRG_FG_THRESHOLD, grow_seeds_batch, seeded_region_growing
from .seeding_loss import seeding_loss

__all__ = [
    "DSRG_BG_THRESHOLD", "DSRG_FG_THRESHOLD", "DSRGLoss", "boundary_loss", "crf_refine", "dense_crf",
    "full_supervision_loss", "grow_seeds_batch", "images_to_uint8", "kl_to_crf", "seeded_region_growing",
    "seeding_loss",
]
