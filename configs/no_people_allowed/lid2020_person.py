# NoPeopleAllowed on LID 2020 (paper preset, see lid2020.py):
# Table 3, row 3 (ResNet50, IRNet thr. 0.3, TTA, person): a binary person classifier's CAM merged into Step 2's
# train maps before DeepLabv3+ (the merge rule: _cpu.py, `person`). It starts from the same VGG-16 checkpoint as
# the classifier. Stage-wise: with --cfg-options stage_cache=DIR it reuses the stages it shares with lid2020.
_base_ = ['./lid2020.py']

person = dict(enabled=True)
