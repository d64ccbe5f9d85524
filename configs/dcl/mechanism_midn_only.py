# The MIDN alone (WSDDN: no refinement stream, K = 0), scored at test time by its own proposal scores; otherwise
# the full model (the regressor then learns towards the MIDN's top proposals).
_base_ = ['./mechanism.py']

model = dict(detector=dict(num_refinements=0))
