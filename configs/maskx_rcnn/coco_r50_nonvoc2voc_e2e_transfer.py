# Table 3.4 'transfer, e2e' (no stop-gradient on w_det); ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc;
# AP on B = voc).
# = coco_r50_nonvoc2voc_e2e_transfer_stopgrad.py: the mask loss also trains w_det (no stop-gradient).
_base_ = ['./coco_r50_nonvoc2voc_e2e_transfer_stopgrad.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(stop_grad=False))))
