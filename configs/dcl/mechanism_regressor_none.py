# The full model without the box regressor (the regressor comparison: none / class-specific / class-agnostic).
# Stage-wise: the network the full model trains, its detections left at their proposals' boxes (a network
# trained without the regressor is model.detector.regressor='none').
_base_ = ['./mechanism.py']

test = dict(regress=False)
