# Table 3.4 'transfer, e2e' (no stop-gradient on w_det); mechanism benchmark, A -> B (CPU preset).
# = mechanism_e2e_transfer_stopgrad.py: the mask loss also trains w_det (no stop-gradient).
_base_ = ['./mechanism_e2e_transfer_stopgrad.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(stop_grad=False))))
