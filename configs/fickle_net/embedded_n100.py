# Fig. 5 / Table 6 sweep: N = 100 stochastic passes per image (the embedded default is N = 200, the paper's).
_base_ = ['./embedded.py']

localization = dict(num_passes=100)
