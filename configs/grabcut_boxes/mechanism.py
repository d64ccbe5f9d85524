# Table 3.5 'Faster R-CNN tested w/ GrabCut' on the mechanism benchmark, A -> B (CPU preset): the detector of the
# Mask^X R-CNN mechanism presets (same model, same 600 iterations, so a shared stage cache reuses it), then
# cv2.grabCut inside each detected box.
_base_ = ['../maskx_rcnn/_mechanism_base.py']

method = 'grabcut_boxes'
custom_imports = dict(imports=['baselines.grabcut_boxes'], allow_failed_imports=False)
model = dict(roi_head=dict(mask_head=dict(   # unused (no mask training): mmdet's FCN head, as in the base model
    _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=64, conv_out_channels=64, num_classes=10,
    loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
grabcut = dict(iters=5, margin=0.15, min_margin=4)   # cv2.grabCut inside each detected box
