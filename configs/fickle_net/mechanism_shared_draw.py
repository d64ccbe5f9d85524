# An open choice of the paper: one keep decision per window offset shared by all channels
# (the default draws one per channel and offset), p = 0.9, mechanism benchmark.
_base_ = ['./mechanism.py']

classifier = dict(head=dict(dropout_draw='shared'))
