# The full model with feature smoothing (tanh on the CAM levels' inputs; the text does not name the function).
_base_ = ['./voc2012.py']

model = dict(cams=dict(smoothing='tanh'))
