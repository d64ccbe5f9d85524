# An open choice of the paper: a class covers a pixel where its MEAN map over the N passes
# exceeds the threshold (the default: where the map exceeds it in some pass), p = 0.9, mechanism benchmark.
_base_ = ['./mechanism.py']

localization = dict(aggregation='mean')
