# Table 7 'G | D' (train general dropout, infer deterministic), p = 0.9, mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(train_selection='general', infer_selection='deterministic'))
