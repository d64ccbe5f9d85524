# The default run without test-time augmentation (Table 3's "TTA: No" rows on the generated benchmark).
# Stage-wise: with --cfg-options stage_cache=DIR it reuses the default run's stages up to the trained
# DeepLabv3+.
_base_ = ['./embedded.py']

segmenter = dict(tta=dict(enabled=False))
