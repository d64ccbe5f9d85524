# Table 3.1 'transfer w/ cls'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py with T's input = w_cls only.
_base_ = ['./mechanism_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='cls'))))
