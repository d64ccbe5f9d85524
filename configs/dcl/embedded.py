# The default preset of `wsisbench run --method dcl`: the full model (detector + class-agnostic regressor + 3
# CAM levels + best-proposal post-processing) on the mechanism benchmark's parts view, on all of the machine's
# cores. The claims are decided on the `mechanism*` presets (one thread each).
_base_ = ['./_cpu.py']

cpu_threads = None
