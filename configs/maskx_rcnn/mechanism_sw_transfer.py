# Table 3.1 'transfer w/ cls+box' = Table 3.2 '2-layer, LeakyReLU' = Table 3.3 'transfer' = Table 3.4 'transfer, sw';
# mechanism benchmark, A -> B (CPU preset): the transfer head without the MLP branch, trained stage-wise.
_base_ = ['./_mechanism_base.py']

training = 'stagewise'
model = dict(roi_head=dict(mask_head=dict(mlp_branch=None)))
