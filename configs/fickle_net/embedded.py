# FickleNet (Lee et al., CVPR 2019) on the embedded synthetic benchmark: CPU, minutes.
# Stages: classifier -> N stochastic Grad-CAM passes -> seeds -> DSRG segmenter -> val mIoU.
_base_ = ['./_cpu.py', '../_base_/benchmarks/embedded.py']
