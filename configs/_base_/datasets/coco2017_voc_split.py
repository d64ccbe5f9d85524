# COCO 2017 with the class split of Mask^X R-CNN (paper presets). Official layout, see docs/datasets.md:
#   data/coco/{train2017,val2017}/*.jpg, data/coco/annotations/instances_{train2017,val2017}.json
# Both directions: `mask_classes` is the set trained WITH masks (A); boxes of all 80 classes are kept.
# Evaluation keeps ALL val images and only the annotations of the evaluated set (params.catIds semantics).
# Swap the two names below for the other direction (train masks on non-voc, evaluate on voc).
data_root = 'data/coco'
mask_split = 'voc'        # A: classes with mask supervision ('voc' = the 20 VOC categories)
eval_split = 'nonvoc'     # B: classes scored (mask AP on the classes without mask supervision)

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

coco_train = dict(type='CocoSplitDataset', data_root=data_root, ann_file='annotations/instances_train2017.json',
                  data_prefix=dict(img='train2017/'), mask_classes=mask_split,
                  filter_cfg=dict(filter_empty_gt=True, min_size=32))
coco_val_b = dict(type='CocoSplitDataset', data_root=data_root, ann_file='annotations/instances_val2017.json',
                  data_prefix=dict(img='val2017/'), keep_classes=eval_split, test_mode=True)
coco_val_a = dict(coco_val_b, keep_classes=mask_split)

train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(coco_train, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(coco_val_b, pipeline=test_pipeline))
test_dataloader = val_dataloader
