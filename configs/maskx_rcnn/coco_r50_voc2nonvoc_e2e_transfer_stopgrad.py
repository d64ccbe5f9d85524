# Table 3.4 'transfer, e2e, stop grad on w_det'; ResNet-50-FPN, COCO 2017, voc -> non-voc (train masks: voc; AP on B =
# nonvoc).
# = coco_r50_voc2nonvoc_sw_transfer.py with end-to-end training.
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

training = 'end2end'
