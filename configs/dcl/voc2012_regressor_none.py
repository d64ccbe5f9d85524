# The full model without the box regressor (the text compares none / class-specific / class-agnostic).
_base_ = ['./voc2012.py']

model = dict(detector=dict(regressor='none'))
