# FickleNet paper preset (Table 1): PASCAL VOC 2012, VGG-16 classifier, DeepLab-LargeFOV (VGG-16) + DSRG.
# Needs (wsisbench downloads nothing):
#   --data-root VOCdevkit   (VOC2012 + SBD for train_aug, see configs/_base_/benchmarks/voc2012.py)
#   --cfg-options pretrained=vgg16_imagenet.pth  (a torchvision-format VGG-16 state dict: features.N.weight/bias;
#                 both networks start from it, DeepLab's fc6/fc7 start random)
#                 localization.saliency_dir=DIR  (DRFI saliency maps <id>.png, the background cue of DSRG)
# Seed settings: 321 x 321 crops, batch 10, Adam lr 1e-3 halved every 10 epochs, N = 200, threshold 0.35.
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/voc2012.py']

method = 'fickle_net'
custom_imports = dict(imports=['wsisbench.methods.fickle_net'], allow_failed_imports=False)
requires_pretrained = True
pretrained_description = 'a torchvision-format ImageNet VGG-16 state dict, for the classifier and the segmenter'

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)

train_images = 10582                       # train_aug
iters_per_epoch = train_images // 10       # batch 10
epochs = 20                                # the paper gives no epoch count: 20 epochs = two halvings

# Kernel size k = 9. The paper never states k; its Fig. 3 illustrates the selection of 9 hidden
# units in a 7 x 7 kernel. We use k = 9 because (a) with the paper's best p = 0.9 a 9 x 9 window keeps on
# average 1 + 0.1 * 80 = 9 units, the count Fig. 3 shows, and (b) benchmarks/ficklenet_expansion.py's
# paper setting (Table 4 timings) uses k = 9, so timings and this preset match. Set 7 to follow Fig. 3.
classifier = dict(
    type='FickleNetImageClassifier',
    backbone=dict(type='DeepLabVGG16', with_pool5=False),   # conv5_3, output stride 8 (41 x 41 at 321 px)
    head=dict(type='FickleNetHead', in_channels=512, num_classes=None, kernel_size=9, dropout_p=0.9,
              train_selection='stochastic', infer_selection='stochastic',
              dropout_draw='channel'),
    num_classes=None,
    data_preprocessor=data_preprocessor,
)
classifier_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='SegRandomResizeCrop', crop_size=(321, 321), scale_range=(0.7, 1.3), keys=()),
    dict(type='SegRandomFlip', prob=0.5, keys=()),
    dict(type='PackClsInputs'),
]
classifier_train = dict(
    batch_size=10,
    max_iters=epochs * iters_per_epoch,
    num_workers=4,
    optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
    param_scheduler=[dict(type='StepLR', step_size=10 * iters_per_epoch, gamma=0.5, by_epoch=False)],
    weights=None,
)

# Maps of the full-size training images; background from saliency (DSRG's cue): a pixel of no class is
# background where the DRFI saliency is below saliency_threshold (0.06: our choice, the paper gives none).
localization = dict(
    num_passes=200,
    chunk=10,
    threshold=0.35,
    aggregation='union',
    background='saliency',
    bg_threshold=None,
    saliency_dir=None,         # REQUIRED
    saliency_threshold=0.06,
    seed=0,
    fast=True,
    bg_threshold_sweep=[],
)
pseudo_eval = dict(split='train')   # VOC train (1,464 images with VOC ground truth PNGs; subset of train_aug)
repeat = dict(num_repeats=0, num_passes=[10, 100, 200, 300], num_images=1464)

# DeepLab-CRF-LargeFOV (VGG-16): fc6 3x3 dilation 12 (1024), fc7 1x1 (1024), fc8; 41 x 41 logits at 321 px;
# DSRG loss at that resolution (dense CRF with DSRG's settings, scale_factor 12).
segmenter = dict(
    type='DeepLabSegmentor',
    backbone=dict(type='DeepLabVGG16', with_pool5=True),
    decode_head=dict(type='LargeFOVHead', in_channels=512, channels=1024, dilation=12, dropout=0.5),
    num_classes=None,
    loss=dict(type='DSRGLoss', alpha=2.0, grow=True, grow_on='probs', bg_threshold=0.99, fg_threshold=0.85,
              crf=dict(scale_factor=12.0)),
    loss_size=None,
    data_preprocessor=data_preprocessor,
)
segmenter_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='LoadSeedMaps'),
    dict(type='SegRandomResizeCrop', crop_size=(321, 321), scale_range=(0.7, 1.3)),
    dict(type='SegRandomFlip', prob=0.5),
    dict(type='PackSeedSegInputs'),
]
# The paper lists one set of training details; the segmenter uses it too (without `weights`).
segmenter_train = dict({key: value for key, value in classifier_train.items() if key != 'weights'},
                       init_backbone_from_classifier=False)
semi = dict(enabled=False, full_label_ids=[], full_label_list=None, num_full=0)

# Dense-CRF post-processing at full resolution (SEC/DSRG-style values; not given by the paper).
predict = dict(crf=True, crf_params=dict(scale_factor=1.0, gaussian_sxy=3.0, gaussian_compat=3.0,
                                         bilateral_sxy=80.0, bilateral_srgb=13.0, bilateral_compat=10.0))
