# Table 3.5 'Mask R-CNN trained w/ GrabCut'; ResNet-101-FPN, COCO 2017, voc -> non-voc (A = voc, B = nonvoc).
# = coco_r50_voc2nonvoc.py with a ResNet-101 backbone (--cfg-options pretrained=/path/to/resnet101.pth).
_base_ = ['./coco_r50_voc2nonvoc.py']

model = dict(backbone=dict(depth=101))
