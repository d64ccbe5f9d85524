# The mechanism preset with the 'person' labels kept (balancing as there): the other side of the claim that
# removing 'person' from the image labels helps Step 1. The claim reads Step 1 only, so the preset stops there
# (about half of a full run's time).
_base_ = ['./mechanism.py']

labels = dict(remove_person=False)
stages = ['prepare_labels', 'train_classifier', 'cams_crf', 'evaluate_step1']
