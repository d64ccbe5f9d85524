# Table 3.1 'fully supervised (oracle)': masks of every class, class-specific FCN head; ResNet-50-FPN, COCO 2017, non-
# voc -> voc (train masks: all classes; AP on B = voc). The voc -> non-voc preset with the split turned around.
_base_ = ['./coco_r50_voc2nonvoc_sw_oracle.py']

split = dict(mask_classes='all', evaluate=dict(B='voc', A='nonvoc'))
