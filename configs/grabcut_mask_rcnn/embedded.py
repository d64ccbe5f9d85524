# Table 3.5 'Mask R-CNN trained w/ GrabCut' on the embedded benchmark (CPU preset), the paper's setting:
# cv2.grabCut inside the ground-truth box of every instance of every class gives the training masks.
_base_ = ['../_base_/models/partial_mask_rcnn_cpu.py', '../_base_/benchmarks/embedded.py']

method = 'grabcut_mask_rcnn'
custom_imports = dict(imports=['baselines.grabcut_mask_rcnn'], allow_failed_imports=False)
split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each ground-truth box
grabcut_classes = 'all'   # classes given GrabCut masks ('all': the paper's setting)
