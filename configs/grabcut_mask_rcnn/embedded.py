# Table 3.5 'Mask R-CNN trained w/ GrabCut' on the embedded benchmark, A -> B (CPU preset).
_base_ = ['../maskx_rcnn/_embedded_base.py']

method = 'grabcut_mask_rcnn'
split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each ground-truth box
grabcut_classes = 'B'   # classes given GrabCut masks; A keeps its real masks ('all': every class)
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=64, conv_out_channels=64,
        num_classes=10, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
