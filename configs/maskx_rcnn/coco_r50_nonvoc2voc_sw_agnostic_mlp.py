# Table 3.3 'class-agnostic+MLP'; ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
# = coco_r50_nonvoc2voc_sw_agnostic.py with the class-agnostic MLP mask branch added.
_base_ = ['./coco_r50_nonvoc2voc_sw_agnostic.py']

model = dict(roi_head=dict(mask_head=dict(mlp_branch=dict(_delete_=True, hidden_dims=(1024, ), reduce_channels=0))))
