# FickleNet paper preset (Table 3): semi-supervised, "1.4K strong + 9K weak". The pixel-labelled images
# (VOC train, 1,464, by default) add alpha * L_full with alpha = 2 (segmenter.loss.alpha); the other
# train_aug images are weak (seeds + DSRG). Change the list with --cfg-options
# semi.full_label_list=my_ids.txt (relative to VOC2012/ or absolute) or semi.full_label_ids=[...].
_base_ = ['./voc2012_resnet101.py']

semi = dict(enabled=True, full_label_list='ImageSets/Segmentation/train.txt', full_label_ids=[], num_full=0)
segmenter = dict(loss=dict(alpha=2.0))
