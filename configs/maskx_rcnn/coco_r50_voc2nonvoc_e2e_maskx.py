# Table 3.5 'Mask^X R-CNN (ours)': transfer+MLP, cls+box, 2-layer LeakyReLU, e2e, stop-gradient; ResNet-50-FPN, COCO
# 2017, voc -> non-voc (train masks: voc; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_e2e_transfer_stopgrad.py with the class-agnostic MLP mask branch added.
_base_ = ['./coco_r50_voc2nonvoc_e2e_transfer_stopgrad.py']

model = dict(roi_head=dict(mask_head=dict(mlp_branch=dict(_delete_=True, hidden_dims=(1024, ), reduce_channels=0))))
