# Mask^X R-CNN on the embedded benchmark (CPU, ~10 minutes): 'transfer+MLP', T = 'cls+box, 2-layer,
# LeakyReLU', end to end with stop-gradient on w_det (the paper's full method, Table 3.5).
_base_ = ['./_embedded_base.py']
