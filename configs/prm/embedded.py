# PRM on a small mechanism benchmark (several instances of one class per image): the default preset of
# `wsisbench run --method prm`. CPU, one thread, under 15 minutes. Adaptive thresholds (the report's rule).
_base_ = ['./_cpu.py']
