# CAM baseline on the mechanism benchmark (docs/mechanism-benchmark.md): the regime check of the benchmark
# (does a plain CAM cover the discriminative parts far better than the bodies?) runs this preset. Output stride 8:
# 16 x 16 maps at 128 px; one test scale with flip.
_base_ = ['./_cpu.py', '../_base_/benchmarks/mechanism.py']

model = dict(backbone=dict(out_stride=8))
cam = dict(scales=(1.0, ), flip=True)
cpu_threads = 1   # one torch thread: seeds run side by side on a 2-core machine (the count is part of the preset)
benchmark = dict(member_cue='part', body_family='random')   # the parts view: only the part names the class
