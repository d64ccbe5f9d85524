# Table 5 "Deterministic" (p = 0): the same classifier trained and used without dropout; its single
# Grad-CAM per image (all N passes would be equal) is aggregated by the same rules as FickleNet's maps.
_base_ = ['./embedded.py']

classifier = dict(head=dict(dropout_p=0.0, train_selection='deterministic', infer_selection='deterministic'))
