# Table 3.2 'transfer w/ 1-layer, none'; ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
# = coco_r50_nonvoc2voc_sw_transfer.py: T is one linear layer.
_base_ = ['./coco_r50_nonvoc2voc_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=1, activation='none'))))
