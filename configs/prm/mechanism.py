# PRM on the small mechanism benchmark (several instances of one class per image): the left side of PRM's
# claims. One CPU thread, so that several seeds run side by side on a 2-core machine; the thread count is part
# of the preset (it changes the float rounding of training). Adaptive thresholds (the report's rule).
_base_ = ['./_cpu.py']
