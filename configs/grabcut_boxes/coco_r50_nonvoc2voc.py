# Table 3.5 'Faster R-CNN tested w/ GrabCut'; ResNet-50-FPN, COCO 2017, non-voc -> voc (A = nonvoc, B = voc).
_base_ = ['../_base_/models/partial_mask_rcnn_r50_coco.py']

method = 'grabcut_boxes'
custom_imports = dict(imports=['baselines.grabcut_boxes'], allow_failed_imports=False)
split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
