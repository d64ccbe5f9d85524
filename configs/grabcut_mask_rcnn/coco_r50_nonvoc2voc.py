# Table 3.5 'Mask R-CNN trained w/ GrabCut' (the paper's setting: GrabCut masks of the ground-truth boxes of
# every class); ResNet-50-FPN, COCO 2017, non-voc -> voc (scored on A = nonvoc and B = voc). The voc -> non-voc
# preset with the split turned around.
_base_ = ['./coco_r50_voc2nonvoc.py']

split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
