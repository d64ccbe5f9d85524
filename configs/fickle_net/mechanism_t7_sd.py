# Table 7 'S | D' (train stochastic selection, infer deterministic), p = 0.9, mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(train_selection='stochastic', infer_selection='deterministic'))
