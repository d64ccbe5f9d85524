# PASCAL VOC 2012 segmentation (paper presets). Official layout, see docs/datasets.md:
#   data/VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,SegmentationObject,ImageSets/Segmentation}
#   data/VOCdevkit/SBD/{cls,inst,train.txt,val.txt}   (SBD's benchmark_RELEASE/dataset, for train_aug)
# Semantic labels: 0 background, 1..20, 255 void; instance / image labels are 0-based over the 20 classes.
data_root = 'data/VOCdevkit/VOC2012'
sbd_root = '../SBD'  # relative to data_root; '../benchmark_RELEASE/dataset' works too

voc_train_aug = dict(type='VOCSegDataset', data_root=data_root, split='train_aug', sbd_root=sbd_root)
voc_val = dict(type='VOCSegDataset', data_root=data_root, split='val', test_mode=True)
voc_cls_train_aug = dict(type='VOCClsDataset', data_root=data_root, split='train_aug', sbd_root=sbd_root)
voc_instance_train = dict(type='VOCInstanceDataset', data_root=data_root, split='train',
                          filter_cfg=dict(filter_empty_gt=True))
voc_instance_val = dict(type='VOCInstanceDataset', data_root=data_root, split='val', test_mode=True)

backend_args = None
instance_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
instance_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
semantic_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadLabelMap'),  # palette PNG indices, never RGB
]

train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(voc_instance_train, pipeline=instance_train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(voc_instance_val, pipeline=instance_test_pipeline))
test_dataloader = val_dataloader
