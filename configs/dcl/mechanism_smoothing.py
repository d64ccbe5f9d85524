# The full model with feature smoothing: tanh on the inputs of every CAM level (after their resize to the grid).
_base_ = ['./mechanism.py']

model = dict(cams=dict(smoothing='tanh'))
