# Table 7 'G | S' (train general dropout, infer stochastic selection), p = 0.9, mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(train_selection='general', infer_selection='stochastic'))
