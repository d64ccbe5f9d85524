# A variant of Table 3.5 'Mask R-CNN trained w/ GrabCut' (not the paper's setting): GrabCut masks for the B
# classes only, A keeps its true masks (embedded benchmark, CPU preset).
_base_ = ['./embedded.py']

grabcut_classes = 'B'
