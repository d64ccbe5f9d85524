# Table 4 "Naive": one window convolution per sliding-window position (NaiveFickleNetHead) instead of the
# map expansion, and autograd Grad-CAM. Timing only: classifier training (sec/iter) and map extraction
# (sec/img) on a small benchmark (48 train images), compared with embedded_expansion.py (same settings).
_base_ = ['./embedded.py']

benchmark = dict(num_train=48, num_val=16)
classifier = dict(head=dict(type='NaiveFickleNetHead'))
classifier_train = dict(max_iters=20, param_scheduler=None)
localization = dict(fast=False)
checkpoint_interval = 1000
stages = ['train_classifier', 'localization_maps_train']
