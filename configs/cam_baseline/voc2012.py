# CAM baseline on PASCAL VOC 2012 (paper preset: real data under --data-root, GPU, ImageNet ResNet-50).
# Classifier trained on train_aug image labels (10,582 images); evaluated on val (1,449 images).
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/voc2012.py']

method = 'cam_baseline'
custom_imports = dict(imports=['baselines.cam_baseline'], allow_failed_imports=False)

requires_pretrained = True   # --cfg-options pretrained=PATH
pretrained_description = 'a ResNet-50 ImageNet classification checkpoint (torchvision or mmpretrain layout)'

model = dict(
    type='GAPClassifier',
    # ResNet-50 with the last stage at stride 1 (output stride 16), as usual for CAM extraction.
    backbone=dict(type='mmdet.ResNet', depth=50, num_stages=4, out_indices=(3,), strides=(1, 2, 2, 1),
                  frozen_stages=1, norm_eval=True),   # init_cfg is set from `pretrained` at run time
    in_channels=2048,
    num_classes=None,
    dropout=0.0,
    data_preprocessor=dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
)

train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomResize', scale=(512, 512), ratio_range=(0.6, 1.0), keep_ratio=True),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdet.RandomCrop', crop_size=(512, 512), allow_negative_crop=True),
    dict(type='mmdet.Pad', size=(512, 512), pad_val=dict(img=0)),
    dict(type='PackClsInputs'),
]

train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    num_workers=4,
    max_iters=6615,     # 10 epochs of train_aug at batch 16
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
                       paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    param_scheduler=[dict(type='PolyLR', power=0.9, eta_min=0.0)],   # over all max_iters
)

cam = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True, score_threshold=0.5, bg_threshold=0.16)
