# Table 3.2 'transfer w/ 1-layer, none'; ResNet-50-FPN, COCO 2017, voc -> non-voc (train masks: voc; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_sw_transfer.py: T is one linear layer.
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=1, activation='none'))))
