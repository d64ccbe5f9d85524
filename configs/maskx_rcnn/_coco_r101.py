# Mask^X R-CNN family on COCO 2017 with ResNet-101-FPN (Table 3.5, bottom half); everything else as
# _coco_r50.py. Pass --cfg-options imagenet_checkpoint=/path/to/resnet101.pth.
_base_ = ['./_coco_r50.py']

model = dict(backbone=dict(depth=101))
