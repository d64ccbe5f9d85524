# PRM paper preset (Zhou et al., CVPR 2018, arXiv:1804.00880): PASCAL VOC 2012, ImageNet ResNet-50 turned
# fully convolutional, peak stimulation, MCG proposals, VOC 2012 val mAP^r / ABO.
# Needs (wsisbench downloads nothing):
#   --data-root VOCdevkit            (VOC2012 + SBD for train_aug, see configs/_base_/benchmarks/voc2012.py)
#   --cfg-options pretrained=PATH    (an ImageNet ResNet-50 checkpoint, torchvision or mmpretrain layout)
#                 proposals.files=DIR (MCG proposals of the val images, one <image id>.mat per image)
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/voc2012.py']

method = 'prm'
custom_imports = dict(imports=['wsisbench.methods.prm'], allow_failed_imports=False)
requires_pretrained = True
pretrained_description = 'an ImageNet ResNet-50 checkpoint (torchvision or mmpretrain layout)'

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
# ResNet-50 (mmdet, pytorch style so torchvision weights load key for key), output stride 32 (14 x 14 CRMs
# at 448 px) -> 1x1 conv to 20 CRMs; CRMs upsampled x8 before peak finding (the reference implementation's
# sub-pixel peak locating).
model = dict(
    type='PRMClassifier',
    backbone=dict(type='mmdet.ResNet', depth=50, num_stages=4, out_indices=(3,), strides=(1, 2, 2, 2),
                  style='pytorch', frozen_stages=-1, norm_eval=True),   # init_cfg from `pretrained`
    in_channels=2048,
    num_classes=None,
    aggregation='peak',
    win_size=3,
    filter='median',
    upsample=8,
    data_preprocessor=data_preprocessor,
)
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(448, 448), keep_ratio=False),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
train_subset = None
train_images = 10582   # train_aug
epochs = 20            # our choice: the paper does not give the schedule length
train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    num_workers=4,
    max_iters=epochs * train_images // 16,
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4)),
    param_scheduler=None,
)

proposals = dict(source='files', files=None, file_pattern='{id}.mat', max_proposals=None)   # files: REQUIRED
# The reference implementation's fixed thresholds (class score >= 0, peak value > 30) and retrieval values.
thresholds = dict(mode='fixed', population='image', class_threshold=0.0, peak_threshold=30.0)
peaks = dict(win_size=3, max_peaks=50)
peak_backprop = dict(bottom='backbone.layer1', phi='clamp', cut_mask_branch=False, chunk=8)
retrieval = dict(alpha=0.8, beta=1e-5, beta_reference_side=448, bg_factor=0.95, contour_width=5,
                 size_limits=(0.00002, 0.85), nms_iou=0.3, nms_class_agnostic=True)
instances = dict(kind='prm', score='peak', cam_threshold=0.5, min_area=0.002)
eval_iou_thrs = (0.25, 0.5, 0.7, 0.75)
num_qualitative = 3   # val images whose CRM and PRM of one peak go into result.json for the reports' figure
