# Table 3.4 'class-agnostic, e2e' = Table 3.5 'class-agnostic'; ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks:
# nonvoc; AP on B = voc).
# = coco_r50_nonvoc2voc_sw_agnostic.py with end-to-end training.
_base_ = ['./coco_r50_nonvoc2voc_sw_agnostic.py']

training = 'end2end'
