# Table 3.3 'class-agnostic+MLP'; embedded benchmark, A -> B (CPU preset).
# = embedded_sw_agnostic.py with the class-agnostic MLP mask branch added.
_base_ = ['./embedded_sw_agnostic.py']

model = dict(roi_head=dict(mask_head=dict(mlp_branch=dict(_delete_=True, hidden_dims=(256, ), reduce_channels=16))))
