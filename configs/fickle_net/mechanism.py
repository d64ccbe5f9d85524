# FickleNet on the mechanism benchmark (docs/mechanism-benchmark.md), parts view: each object is a small
# class-specific part on a body its family shares, so a plain CAM stops at the part and stochastic selection has
# room to spread. The paper's claims (Tables 5-7) are decided on these presets (docs/claims.md).
# Fixed before any run: the CPU FickleNet of _cpu.py at output stride 8 (16 x 16 conv5 maps at 128 px), k = 3,
# p = 0.9, N = 200, threshold 0.35, bg_threshold 0.1 (the embedded preset's, not tuned here). Sized so that a run
# takes about 40 minutes on one core (measured: 4.8 s per classifier iteration of 16 images at stride 8, 0.6 s
# per image for N = 200 maps, 3.8 s per segmenter iteration of 16 images): batches of 8, 400 classifier and 300
# segmenter iterations (2.7 and 2 epochs of the 1,200 training images; the lr halving every 10 epochs never
# happens).
_base_ = ['./_cpu.py', '../_base_/benchmarks/mechanism.py']

benchmark = dict(member_cue='part', body_family='random')   # the parts view: only the part names the class
classifier = dict(backbone=dict(out_stride=8))
classifier_train = dict(batch_size=8, max_iters=400,
                        param_scheduler=[dict(type='StepLR', step_size=1500, gamma=0.5, by_epoch=False)])
segmenter = dict(backbone=dict(out_stride=8), decode_head=dict(dilation=4))
segmenter_train = dict(batch_size=8, max_iters=300,
                       param_scheduler=[dict(type='StepLR', step_size=1500, gamma=0.5, by_epoch=False)])
cpu_threads = 1   # one torch thread: seeds run side by side on a 2-core machine (the count is part of the preset)
