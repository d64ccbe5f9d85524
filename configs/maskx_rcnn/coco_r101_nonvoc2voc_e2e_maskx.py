# Table 3.5 'Mask^X R-CNN (ours)': transfer+MLP, cls+box, 2-layer LeakyReLU, e2e, stop-gradient; ResNet-101-FPN, COCO
# 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
# = coco_r50_nonvoc2voc_e2e_maskx.py with a ResNet-101 backbone (--cfg-options pretrained=/path/to/resnet101.pth).
_base_ = ['./coco_r50_nonvoc2voc_e2e_maskx.py']

model = dict(backbone=dict(depth=101))
