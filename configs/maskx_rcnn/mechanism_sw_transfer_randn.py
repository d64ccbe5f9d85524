# Table 3.1 'transfer w/ randn'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py with T's input = a fixed random vector per class.
_base_ = ['./mechanism_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='randn'))))
