# The CAM baseline's tiny test preset with dropout before the classifier: training then draws from the torch
# random state, which a resumed run must restore exactly to reproduce an uninterrupted run.
_base_ = ['../baselines/cam_baseline/cam_baseline_tiny.py']

model = dict(dropout=0.5)
