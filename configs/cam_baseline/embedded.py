# CAM baseline on the embedded synthetic benchmark: CPU, a few minutes.
_base_ = ['./_cpu.py', '../_base_/benchmarks/embedded.py']
