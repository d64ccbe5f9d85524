# Table 3.5 'Faster R-CNN tested w/ GrabCut'; ResNet-101-FPN, COCO 2017, voc -> non-voc (A = voc, B = nonvoc).
_base_ = ['../maskx_rcnn/_coco_r101.py']

method = 'grabcut_boxes'
split = dict(mask_classes='voc', evaluate=dict(B='nonvoc', A='voc'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
