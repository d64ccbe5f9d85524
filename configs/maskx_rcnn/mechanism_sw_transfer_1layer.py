# Table 3.2 'transfer w/ 1-layer, none'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py: T is one linear layer.
_base_ = ['./mechanism_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=1, activation='none'))))
