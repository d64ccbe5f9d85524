# Table 3.1 'transfer w/ box'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py with T's input = w_box only.
_base_ = ['./mechanism_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='box'))))
