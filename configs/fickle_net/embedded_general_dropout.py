# Table 5 "General Dropout" p = 0.5: ordinary (element-wise) dropout on the conv5 map before the k x k
# classifier conv, at training and at inference (N passes), no centre preservation, no expansion.
_base_ = ['./embedded.py']

classifier = dict(head=dict(dropout_p=0.5, train_selection='general', infer_selection='general',
                            general_mode='element'))
