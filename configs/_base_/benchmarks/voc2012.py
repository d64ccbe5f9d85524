# PASCAL VOC 2012 segmentation; train on train_aug (VOC train + SBD), evaluate on val (1,449 images).
benchmark = dict(
    name='voc2012',
    data_root=None,     # pass --data-root DIR (see README: Datasets)
    train_split='train_aug',
    eval_split='val',
)
