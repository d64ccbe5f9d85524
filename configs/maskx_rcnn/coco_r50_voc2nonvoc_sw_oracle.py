# Table 3.1 'fully supervised (oracle)': masks of every class, class-specific FCN head; ResNet-50-FPN, COCO 2017, voc ->
# non-voc (train masks: all classes; AP on B = nonvoc).
_base_ = ['./_coco_r50.py']

split = dict(mask_classes='all', evaluate=dict(B='nonvoc', A='voc'))
training = 'stagewise'
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256,
        num_classes=80, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
