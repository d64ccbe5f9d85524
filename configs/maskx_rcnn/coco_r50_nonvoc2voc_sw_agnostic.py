# Table 3.1 'class-agnostic (baseline)' = Table 3.3 'class-agnostic' = Table 3.4 'class-agnostic, sw'; ResNet-50-FPN,
# COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
# = coco_r50_voc2nonvoc_sw_agnostic.py with the direction reversed (masks of the 60 non-voc classes, B = voc).
_base_ = ['./coco_r50_voc2nonvoc_sw_agnostic.py']

split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
