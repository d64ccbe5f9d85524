# The full model on the mechanism benchmark's parts view, one CPU thread: the right side of the regressor claim
# and the reference of the variants below. Fixed before any run: the recipe of _cpu.py.
_base_ = ['./_cpu.py']
