# Table 5 "General Dropout" p = 0.9 (also Table 7's G/G column).
_base_ = ['./embedded_general_dropout.py']

classifier = dict(head=dict(dropout_p=0.9))
