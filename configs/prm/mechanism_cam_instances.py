# The CAM-instances baseline: the same network trained with global average pooling instead of peak
# stimulation; instances = 8-connected components of each valid class's CAM (ReLU, resized, divided by its
# maximum) above 0.5, scored by the mean CAM inside. Same valid-class rule as mechanism; no proposals.
_base_ = ['./mechanism.py']

model = dict(aggregation='gap')
instances = dict(kind='cam')
