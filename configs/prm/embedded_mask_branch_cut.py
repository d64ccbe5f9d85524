# Residual-Attention PRM with the attention-mask branches cut from peak back-propagation (masks detached:
# the top-down pass sees them as constant gates); same classifier as embedded_residual_attention.
_base_ = ['./embedded_residual_attention.py']

peak_backprop = dict(cut_mask_branch=True)
