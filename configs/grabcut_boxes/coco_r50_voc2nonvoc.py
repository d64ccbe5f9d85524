# Table 3.5 'Faster R-CNN tested w/ GrabCut'; ResNet-50-FPN, COCO 2017, voc -> non-voc (A = voc, B = nonvoc).
_base_ = ['../_base_/models/partial_mask_rcnn_r50_coco.py']

method = 'grabcut_boxes'
custom_imports = dict(imports=['baselines.grabcut_boxes'], allow_failed_imports=False)
split = dict(mask_classes='voc', evaluate=dict(B='nonvoc', A='voc'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
