# Table 3.2 'transfer w/ 1-layer, none'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py: T is one linear layer.
_base_ = ['./embedded_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=1, activation='none'))))
