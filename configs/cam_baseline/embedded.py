# CAM baseline on the embedded synthetic benchmark: CPU, a few minutes.
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/embedded.py']

method = 'cam_baseline'

# Classifier: a small CNN trained from scratch (output stride 8 -> 16 x 16 CAMs at 128 px).
model = dict(
    type='GAPClassifier',
    backbone=dict(type='SmallConvNet', widths=(16, 32, 64, 128)),
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
    max_iters=600,
    optim_wrapper=dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4)),
    param_scheduler=[dict(type='CosineAnnealingLR', T_max=600, by_epoch=False, eta_min=1e-5)],
)

# CAM inference: scales and flip of the test-time augmentation; a class is present at test time when its
# sigmoid score reaches score_threshold; background wins where no present class's normalised CAM
# reaches bg_threshold.
cam = dict(scales=(1.0, 1.5), flip=True, score_threshold=0.5, bg_threshold=0.3)
