# Table 3.5 'Faster R-CNN tested w/ GrabCut' on the embedded benchmark, A -> B (CPU preset).
_base_ = ['../maskx_rcnn/_embedded_base.py']

method = 'grabcut_boxes'
split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
