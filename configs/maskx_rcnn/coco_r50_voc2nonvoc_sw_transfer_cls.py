# Table 3.1 'transfer w/ cls'; ResNet-50-FPN, COCO 2017, voc -> non-voc (train masks: voc; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_sw_transfer.py with T's input = w_cls only.
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='cls'))))
