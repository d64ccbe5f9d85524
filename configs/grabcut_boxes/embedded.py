# Table 3.5 'Faster R-CNN tested w/ GrabCut' on the embedded benchmark, A -> B (CPU preset): the shared
# partially supervised detector trained on the boxes of every class, cv2.grabCut inside each detected box.
_base_ = ['../_base_/models/partial_mask_rcnn_cpu.py', '../_base_/benchmarks/embedded.py']

method = 'grabcut_boxes'
custom_imports = dict(imports=['baselines.grabcut_boxes'], allow_failed_imports=False)
split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
