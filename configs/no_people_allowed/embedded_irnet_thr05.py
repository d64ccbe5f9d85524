# The default run with the random walk's background threshold ("IRNet thr.") at 0.5 instead of 0.3 (Table 3's
# "0.5" rows on the generated benchmark). Stage-wise: with --cfg-options stage_cache=DIR it reuses the
# default run's stages up to the trained IRNet.
_base_ = ['./embedded.py']

random_walk = dict(bg_threshold=0.5)
