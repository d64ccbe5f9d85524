# The MIDN alone (WSDDN's scores, no refinement stream at test time); otherwise the full model. Stage-wise: the
# network the full model trains, its detections scored by the MIDN's proposal scores instead of the mean of the
# K = 3 refinement streams (a network trained without refinement is model.detector.num_refinements=0).
_base_ = ['./mechanism.py']

test = dict(scores='midn')
