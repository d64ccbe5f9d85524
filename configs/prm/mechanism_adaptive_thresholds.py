# Adaptive thresholds with the quartile's population over the whole val split ('split') instead of the
# image's own class scores: the other reading of "third quartile of the class-response aggregation".
_base_ = ['./mechanism.py']

thresholds = dict(mode='adaptive', population='split')
