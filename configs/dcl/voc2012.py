# Deep Community Learning paper preset (Hwang et al., WACV 2021, arXiv:2001.11207), the full model: PASCAL VOC
# 2012, ResNet-50 with group norm, OICR detector + class-agnostic regressor + 3 CAM levels, MCG proposals,
# 5 test scales with flip, best-proposal post-processing; VOC 2012 val mAP^r at 0.25 / 0.5 / 0.75 and ABO.
# The instance segmentation (IS) module is off here (the text does not say how it is trained); voc2012_segmentation
# adds it.
# Needs (wsisbench downloads nothing):
#   --data-root VOCdevkit             (VOC2012 + SBD for train_aug, see configs/_base_/benchmarks/voc2012.py)
#   --cfg-options pretrained=PATH     (an ImageNet ResNet-50 checkpoint; group norm: a GN-trained one)
#                 proposals.files=DIR (MCG proposals of the train_aug and val images, one <image id>.mat each)
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/voc2012.py']

method = 'dcl'
custom_imports = dict(imports=['wsisbench.methods.dcl'], allow_failed_imports=False)
requires_pretrained = True
pretrained_description = 'an ImageNet ResNet-50 checkpoint (torchvision or mmpretrain layout; the paper: group norm)'

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32)
gn = dict(type='GN', num_groups=32, requires_grad=True)   # "batch normalization is replaced to group normalization"
# ResNet-50 to res4 (mmdet, pytorch style); RoIAlign 14 x 14 on res4 (the paper: one SPP layer; our deviation)
# -> res5 (mmdet's C4 shared head, stride 2: 7 x 7) -> GAP -> MIDN, K = 3 refinement streams, class-agnostic
# regressor (2 FC layers of 1024). The same res5 makes the whole image's res5 for the IMG module.
# IMG: CAMs on a 28 x 28 grid from upsampled res5 and SPP of res4 and res3, one 3 x 3 conv of 512 each.
model = dict(
    type='DCLNetwork',
    roi_level='res4',   # RoIs pooled from res4, then the detector's res5 stage ('res5': the backbone's own res5)
    backbone=dict(type='mmdet.ResNet', depth=50, num_stages=3, out_indices=(0, 1, 2), strides=(1, 2, 2),
                  dilations=(1, 1, 1), style='pytorch', frozen_stages=1, norm_cfg=gn, norm_eval=False),
    detector=dict(shared_head=dict(type='mmdet.ResLayer', depth=50, stage=3, stride=2, style='pytorch',
                                   norm_cfg=gn, norm_eval=False),
                  roi_channels=2048, roi_size=14, feature_stride=16, num_refinements=3, regressor='agnostic',
                  regressor_hidden=1024, iou_thr=0.5, regress_weighting='seed'),
    cams=dict(num_levels=3, grid_size=28, channels=512, pool_type='max', smoothing=None, norm_cfg=gn,
              fuse='mean'),
    num_classes=None,
    cam_weight=1.0,
    data_preprocessor=data_preprocessor,
)
# OICR's training scales: the short side drawn from 480 / 576 / 688 / 864 / 1200 (long side at most 2000),
# horizontal flip.
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomChoiceResize', scales=[(2000, s) for s in (480, 576, 688, 864, 1200)], keep_ratio=True),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='LoadProposalBoxes'),
    dict(type='PackDCLInputs'),
]
# OICR's optimiser (SGD, lr 0.001 then 0.0001 for the last 3/7, momentum 0.9, weight decay 5e-4, 2 images per
# batch); the text gives no schedule: 10 epochs of train_aug is our choice.
train_images = 10582
epochs = 10
train = dict(
    batch_size=2,
    sampler='InfiniteSampler',
    num_workers=2,
    max_iters=epochs * train_images // 2,
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4)),
    param_scheduler=[dict(type='MultiStepLR', milestones=[4 * epochs * train_images // 14], gamma=0.1,
                          by_epoch=False)],
)
proposals = dict(source='files', files=None, file_pattern='{id}.mat', max_proposals=2000)   # files: REQUIRED
# 5 scales with flip, as the text's timing (scores, boxes and CAMs averaged over the 10 views); NMS at IoU 0.3.
test = dict(scales=(480, 576, 688, 864, 1200), flip=True, max_size=2000,
            nms=dict(iou=0.3, score_thr=1e-3, max_per_img=100))
masks = dict(threshold=0.2, empty='box', source='cam')   # source 'segmentation': the IS module's masks
postprocess = dict(best_proposal=True)   # the best-matching MCG proposal for each mask
eval_iou_thrs = (0.25, 0.5, 0.7, 0.75)
