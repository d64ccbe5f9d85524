# Table 5: FickleNet with centre-fixed dropout rate p = 0.7 (training and inference); the default is 0.9.
_base_ = ['./embedded.py']

classifier = dict(head=dict(dropout_p=0.7))
