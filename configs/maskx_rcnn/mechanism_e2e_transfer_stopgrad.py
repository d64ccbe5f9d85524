# Table 3.4 'transfer, e2e, stop grad on w_det'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py with end-to-end training.
_base_ = ['./mechanism_sw_transfer.py']

training = 'end2end'
