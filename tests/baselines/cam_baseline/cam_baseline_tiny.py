# The CAM baseline's embedded preset shrunk for end-to-end tests: a small CNN from scratch, one test scale.
_base_ = ['../../../configs/cam_baseline/embedded.py']

model = dict(backbone=dict(_delete_=True, type='SmallConvNet', widths=(16, 32, 64, 128)))
benchmark = dict(num_train=64, num_val=24, image_size=96)
train = dict(batch_size=8, max_iters=40)
cam = dict(scales=(1.0,), flip=True, bg_threshold=0.3)
checkpoint_interval = 10
log_interval = 10
