# Table 5 'General Dropout' p = 0.5 on the mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(dropout_p=0.5, train_selection='general', infer_selection='general'))
