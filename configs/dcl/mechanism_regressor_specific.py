# The full model with a class-specific regressor (4 C outputs) in place of the class-agnostic one.
_base_ = ['./mechanism.py']

model = dict(detector=dict(regressor='specific'))
