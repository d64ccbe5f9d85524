# LID 2020 track 1 (paper presets): ILSVRC DET images, 200 classes + background, 255 ambiguous.
# Layout, see docs/datasets.md:
#   data/LID2020/LID_track1/{train,val,test}/...JPEG
#   data/LID2020/LID_track1_annotations/track1_val_annotations_raw/*.png   (val ground truth, index PNGs)
#   data/LID2020/train_labels.txt   ("<relative path> <det ids 1..200>", `wsisbench data convert lid-labels`)
data_root = 'data/LID2020'

backend_args = None
cls_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
semantic_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadLabelMap'),
]

lid_cls_train = dict(type='LIDClsDataset', data_root=data_root, split='train')
lid_val = dict(type='LIDSegDataset', data_root=data_root, split='val', test_mode=True)
lid_test = dict(type='LIDSegDataset', data_root=data_root, split='test', test_mode=True)

train_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(lid_cls_train, pipeline=cls_train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(lid_val, pipeline=semantic_test_pipeline))
test_dataloader = val_dataloader
