# A variant of Table 3.5 'Mask R-CNN trained w/ GrabCut' (not the paper's setting): GrabCut masks for B = voc
# only, A = nonvoc keeps its true masks; ResNet-50-FPN, COCO 2017, non-voc -> voc.
_base_ = ['./coco_r50_nonvoc2voc.py']

grabcut_classes = 'voc'
