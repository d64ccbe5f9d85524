# Table 3.5 'fully supervised (oracle)': masks of every class, class-specific FCN head; ResNet-50-FPN, COCO 2017, voc ->
# non-voc (train masks: all classes; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_sw_oracle.py with end-to-end training.
_base_ = ['./coco_r50_voc2nonvoc_sw_oracle.py']

training = 'end2end'
