# NoPeopleAllowed on LID 2020 (paper preset, see lid2020.py):
# Table 3, row 7 (ResNet101, IRNet thr. 0.5, TTA, no person); pretrained.segmenter
# is an ImageNet ResNet-101.
# Stage-wise: with --cfg-options stage_cache=DIR it reuses the stages it shares with lid2020.
_base_ = ['./lid2020.py']

random_walk = dict(bg_threshold=0.5)
segmenter = dict(model=dict(backbone=dict(depth=101)))
