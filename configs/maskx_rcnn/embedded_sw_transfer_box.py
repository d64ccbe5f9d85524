# Table 3.1 'transfer w/ box'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py with T's input = w_box only.
_base_ = ['./embedded_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='box'))))
