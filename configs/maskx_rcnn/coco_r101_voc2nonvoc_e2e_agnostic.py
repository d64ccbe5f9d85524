# Table 3.4 'class-agnostic, e2e' = Table 3.5 'class-agnostic'; ResNet-101-FPN, COCO 2017, voc -> non-voc (train masks:
# voc; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_e2e_agnostic.py with a ResNet-101 backbone (--cfg-options pretrained=/path/to/resnet101.pth).
_base_ = ['./coco_r50_voc2nonvoc_e2e_agnostic.py']

model = dict(backbone=dict(depth=101))
