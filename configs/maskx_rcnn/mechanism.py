# Mask^X R-CNN on the mechanism benchmark (CPU): 'transfer+MLP', T = 'cls+box, 2-layer, LeakyReLU', end to end
# with stop-gradient on w_det (the paper's full method, Table 3.5); A -> B on the fixed 20 / 20 split.
_base_ = ['./_mechanism_base.py']
