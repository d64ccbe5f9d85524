# A small instance of the mechanism benchmark for CI's regression check (about 3 minutes on a 2-core CPU):
# 240 train / 160 val images (another generated instance: same generator, fewer images), 60 iterations.
_base_ = ['./mechanism.py']

benchmark = dict(num_train=240, num_val=160)
train = dict(max_iters=60)
