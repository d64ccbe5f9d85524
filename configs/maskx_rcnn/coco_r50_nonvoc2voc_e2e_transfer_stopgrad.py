# Table 3.4 'transfer, e2e, stop grad on w_det'; ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B
# = voc).
# = coco_r50_nonvoc2voc_sw_transfer.py with end-to-end training.
_base_ = ['./coco_r50_nonvoc2voc_sw_transfer.py']

training = 'end2end'
