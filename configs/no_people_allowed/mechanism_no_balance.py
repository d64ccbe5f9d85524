# The mechanism preset without balancing ('person' removed as there): the other side of the claim that
# balancing the classes by downsampling helps Step 1. The claim reads Step 1 only, so the preset stops there
# (about half of a full run's time).
_base_ = ['./mechanism.py']

labels = dict(balance_target=None)
stages = ['prepare_labels', 'train_classifier', 'cams_crf', 'evaluate_step1']
