# The default preset of `wsisbench run --method prm`: the recipe of `mechanism` on all of the machine's
# cores (about 13 minutes on 2 CPU cores). Its numbers differ from a `mechanism` run of the same seed by float
# rounding only; the claims are decided on the `mechanism` presets.
_base_ = ['./_cpu.py']

cpu_threads = None
