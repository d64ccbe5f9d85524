# The mechanism preset predicted without test-time augmentation (one forward pass at scale 1, no flip): the
# other side of the claim that TTA helps Step 3 (Table 3). Stage-wise: with --cfg-options stage_cache=DIR
# both presets share every stage up to the trained DeepLabv3+, so the claim compares the same network.
_base_ = ['./mechanism.py']

segmenter = dict(tta=dict(enabled=False))
