# Table 3.2 'transfer w/ 3-layer, LeakyReLU'; ResNet-50-FPN, COCO 2017, voc -> non-voc (train masks: voc; AP on B =
# nonvoc).
# = coco_r50_voc2nonvoc_sw_transfer.py: T has 3 layers (LeakyReLU).
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer=dict(num_layers=3))))
