# The default run with the person variant (Table 3's "Person: Yes" row on the generated benchmark): a binary
# person classifier's CAM merged into Step 2's train maps before DeepLabv3+ (rule in _cpu.py, `person`).
# Stage-wise: with --cfg-options stage_cache=DIR it reuses the default run's stages up to Step 2.
_base_ = ['./embedded.py']

person = dict(enabled=True)
