# Table 3.2 'transfer w/ 3-layer, ReLU'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py: T has 3 layers with ReLU.
_base_ = ['./embedded_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=3, activation='relu'))))
