# Mask^X R-CNN on the embedded benchmark (A = the first five classes with masks, B = the last five).
_base_ = ['./_cpu.py', '../_base_/benchmarks/embedded.py']
