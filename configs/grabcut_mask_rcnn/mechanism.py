# Table 3.5 'Mask R-CNN trained w/ GrabCut' on the mechanism benchmark, A -> B (CPU preset), the paper's setting:
# cv2.grabCut inside the ground-truth box of every instance of every class gives the training masks; the model
# and training are those of the Mask^X R-CNN mechanism presets.
_base_ = ['../maskx_rcnn/_mechanism_base.py']

method = 'grabcut_mask_rcnn'
custom_imports = dict(imports=['baselines.grabcut_mask_rcnn'], allow_failed_imports=False)
model = dict(roi_head=dict(mask_head=dict(
    _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=64, conv_out_channels=64, num_classes=10,
    loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each ground-truth box
grabcut_classes = 'all'   # classes given GrabCut masks ('all': the paper's setting)
