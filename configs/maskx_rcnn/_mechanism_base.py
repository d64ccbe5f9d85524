# Mask^X R-CNN on the mechanism benchmark (docs/mechanism-benchmark.md): 40 classes in 8 shape families; the fixed
# split A / B puts 20 classes on each side and every family on both sides. Fixed before any run: the CPU model of
# _cpu.py unchanged, 600 iterations of 8 images (4 epochs of the 1,200 training images), lr x 0.1 after 450.
_base_ = ['./_cpu.py', '../_base_/benchmarks/mechanism.py']

# The masks view: half of the instances on a patch of their own body colours and half with same-coloured
# clutter touching them, so that many masks cannot be recovered from appearance alone.
benchmark = dict(low_contrast_rate=0.5, clutter_rate=0.5)

max_iters = 600
train = dict(
    max_iters=max_iters,
    param_scheduler=[dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
                     dict(type='MultiStepLR', by_epoch=False, milestones=[450], gamma=0.1)])
detector_train = train
mask_train = train
