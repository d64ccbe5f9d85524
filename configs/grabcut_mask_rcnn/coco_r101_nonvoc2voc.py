# Table 3.5 'Mask R-CNN trained w/ GrabCut'; ResNet-101-FPN, COCO 2017, non-voc -> voc (A = nonvoc, B = voc).
_base_ = ['../maskx_rcnn/_coco_r101.py']

method = 'grabcut_mask_rcnn'
split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each ground-truth box
grabcut_classes = 'B'   # classes given GrabCut masks; A keeps its real masks ('all': every class)
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256,
        num_classes=80, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
