# Table 3.2 'transfer w/ 2-layer, ReLU'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py: T uses ReLU.
_base_ = ['./embedded_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(activation='relu'))))
