# Table 3.4 'transfer, e2e, stop grad on w_det'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_transfer.py with end-to-end training.
_base_ = ['./embedded_sw_transfer.py']

training = 'end2end'
