# Table 3.5 'Faster R-CNN tested w/ GrabCut'; ResNet-101-FPN, COCO 2017, non-voc -> voc (A = nonvoc, B = voc).
# = coco_r50_nonvoc2voc.py with a ResNet-101 backbone (--cfg-options pretrained=/path/to/resnet101.pth).
_base_ = ['./coco_r50_nonvoc2voc.py']

model = dict(backbone=dict(depth=101))
