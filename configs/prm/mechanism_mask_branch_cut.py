# Residual-Attention PRM with the attention-mask branches cut from peak back-propagation (masks detached:
# the top-down pass sees them as constant gates); same classifier as mechanism_residual_attention.
_base_ = ['./mechanism_residual_attention.py']

peak_backprop = dict(cut_mask_branch=True)
