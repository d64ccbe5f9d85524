# Table 3.5 'Mask R-CNN trained w/ GrabCut' (the paper's setting: GrabCut masks of the ground-truth boxes of
# every class); ResNet-50-FPN, COCO 2017, voc -> non-voc (scored on A = voc and B = nonvoc).
_base_ = ['../_base_/models/partial_mask_rcnn_r50_coco.py']

method = 'grabcut_mask_rcnn'
custom_imports = dict(imports=['baselines.grabcut_mask_rcnn'], allow_failed_imports=False)
split = dict(mask_classes='voc', evaluate=dict(B='nonvoc', A='voc'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each ground-truth box
grabcut_classes = 'all'   # classes given GrabCut masks ('all': the paper's setting)
