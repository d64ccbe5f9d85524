# Table 3.5 'fully supervised (oracle)': masks of every class, class-specific FCN head; ResNet-101-FPN, COCO 2017, voc
# -> non-voc (train masks: all classes; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_e2e_oracle.py with a ResNet-101 backbone (--cfg-options pretrained=/path/to/resnet101.pth).
_base_ = ['./coco_r50_voc2nonvoc_e2e_oracle.py']

model = dict(backbone=dict(depth=101))
