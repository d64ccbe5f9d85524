# Semi-supervised variant (Table 3) on the embedded benchmark: the first 60 training images (sorted ids,
# 10%) are pixel-labelled and add alpha * L_full (alpha = 2) to the DSRG loss; the others are weak.
_base_ = ['./embedded.py']

semi = dict(enabled=True, num_full=60)
