# Table 3.3 'transfer+MLP'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_transfer.py with the class-agnostic MLP mask branch added.
_base_ = ['./mechanism_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(mlp_branch=dict(_delete_=True, hidden_dims=(256, ), reduce_channels=16))))
