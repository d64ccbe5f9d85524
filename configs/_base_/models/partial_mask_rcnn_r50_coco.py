# Partially supervised Mask R-CNN on COCO 2017 (paper presets of Mask^X R-CNN and its baselines): ResNet-50-FPN
# Mask R-CNN with the settings of section 3.1 of the Mask^X R-CNN report.
#
# Data: --data-root DIR with DIR/annotations/instances_{train,val}2017.json and DIR/{train,val}2017/*.jpg.
# Backbone: ImageNet-1k ResNet weights are not downloadable here; pass
#   --cfg-options pretrained=/path/to/resnet50.pth      (torchvision or mmpretrain state dict)
# Schedule: 16 images x 512 RoIs per batch = 8 processes x 2 images (torchrun --nproc_per_node 8 ...
# --launcher pytorch), SGD lr 0.02, momentum 0.9, weight decay 1e-4, 90k iterations, lr x 0.1 at 60k and 80k.
# Stage-wise presets train both stages with this schedule (the report does not give the second stage's).
# Heads: 1024-d 2-fc box head (w_cls 1024-d, w_box 4 x 1024-d), 4-conv 256-channel FCN mask head, 28 x 28.
# Assumptions where the report is silent: T's hidden width 1024, LeakyReLU slope 0.1, a class-agnostic bias
# of the transferred 1x1 mask conv; the MLP mask branch is one 1024-d hidden layer on the 14 x 14 RoI features.
_base_ = ['../default_runtime.py']

benchmark = dict(name='coco2017', data_root=None, train_split='train2017', eval_split='val2017')
requires_pretrained = True
pretrained_description = ('an ImageNet ResNet-50 (or -101 for the R-101 presets) checkpoint, torchvision or mmpretrain '
                          'layout')
log_interval = 20
checkpoint_interval = 5000

# voc -> non-voc: masks of the 20 VOC classes (A), scored on the 60 others (B) and on A.
split = dict(mask_classes='voc', evaluate=dict(B='nonvoc', A='voc'))
data = dict(train_ann='annotations/instances_train2017.json', train_img='train2017/',
            val_ann='annotations/instances_val2017.json', val_img='val2017/', min_size=32)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

model = dict(
    type='PartialMaskRCNN',
    data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True, pad_size_divisor=32),
    backbone=dict(type='mmdet.ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
                  norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch'),
    neck=dict(type='mmdet.FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    rpn_head=dict(
        type='mmdet.RPNHead', in_channels=256, feat_channels=256,
        anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0], target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='PartialMaskRoIHead',
        mask_train_labels=None,  # filled at run time from split.mask_classes
        bbox_roi_extractor=dict(type='SingleRoIExtractor', out_channels=256, featmap_strides=[4, 8, 16, 32],
                                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0)),
        bbox_head=dict(
            type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024, roi_feat_size=7, num_classes=80,
            reg_class_agnostic=False,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        mask_roi_extractor=dict(type='SingleRoIExtractor', out_channels=256, featmap_strides=[4, 8, 16, 32],
                                roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0)),
        mask_head=dict(
            type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256, num_classes=80,
            loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                               match_low_quality=True, ignore_iof_thr=-1),
                 sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                              add_gt_as_proposals=False),
                 allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                                match_low_quality=True, ignore_iof_thr=-1),
                  sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1,
                               add_gt_as_proposals=True),
                  mask_size=28, pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100, mask_thr_binary=0.5)))

train = dict(
    batch_size=2, num_workers=2, max_iters=90000,   # per process; x 8 processes = 16 images
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)),
    param_scheduler=[dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
                     dict(type='MultiStepLR', by_epoch=False, milestones=[60000, 80000], gamma=0.1)],
    loader=dict(batch_sampler=dict(type='mmdet.AspectRatioBatchSampler')))
detector_train = train
mask_train = train
detector_weights = None
test = dict(batch_size=1)

training = 'end2end'
