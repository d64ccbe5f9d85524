# Table 3.1 'transfer w/ randn'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py with T's input = a fixed random vector per class.
_base_ = ['./embedded_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='randn'))))
