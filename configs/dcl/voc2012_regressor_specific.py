# The full model with a class-specific box regressor (4 C outputs).
_base_ = ['./voc2012.py']

model = dict(detector=dict(regressor='specific'))
