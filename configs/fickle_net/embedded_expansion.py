# Table 4 "Expansion": the twin of embedded_naive.py with FickleNetHead (one strided conv on the expanded
# map) and autograd Grad-CAM (localization.fast=False), so that only the head differs. Run with
# --cfg-options localization.fast=True to time the closed-form Grad-CAM as well.
_base_ = ['./embedded_naive.py']

classifier = dict(head=dict(type='FickleNetHead'))
