# The full model without the box regressor (the regressor comparison: none / class-specific / class-agnostic).
_base_ = ['./mechanism.py']

model = dict(detector=dict(regressor='none'))
