# Table 5 'Deterministic' (p = 0) = Table 7 'D | D' on the mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(dropout_p=0.0, train_selection='deterministic', infer_selection='deterministic'))
