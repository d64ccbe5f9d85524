# Table 3.1 'transfer w/ cls+box' = Table 3.2 '2-layer, LeakyReLU' = Table 3.3 'transfer' = Table 3.4 'transfer, sw';
# ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
# = coco_r50_voc2nonvoc_sw_transfer.py with the direction reversed (masks of the 60 non-voc classes, B = voc).
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
