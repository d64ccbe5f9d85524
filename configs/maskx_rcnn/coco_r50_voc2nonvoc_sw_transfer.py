# Table 3.1 'transfer w/ cls+box' = Table 3.2 '2-layer, LeakyReLU' = Table 3.3 'transfer' = Table 3.4 'transfer, sw';
# ResNet-50-FPN, COCO 2017, voc -> non-voc (train masks: voc; AP on B = nonvoc), trained stage-wise.
_base_ = ['./_coco_r50.py']

training = 'stagewise'
