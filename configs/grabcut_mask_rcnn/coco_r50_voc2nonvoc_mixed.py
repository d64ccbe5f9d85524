# A variant of Table 3.5 'Mask R-CNN trained w/ GrabCut' (not the paper's setting): GrabCut masks for B = nonvoc
# only, A = voc keeps its true masks; ResNet-50-FPN, COCO 2017, voc -> non-voc.
_base_ = ['./coco_r50_voc2nonvoc.py']

grabcut_classes = 'nonvoc'
