# A small instance of the mechanism benchmark for CI's regression check (a few minutes on a 2-core CPU):
# 240 train / 160 val images (another generated instance: same generator, fewer images), output stride 16 and
# both cores; 150 iterations (10 epochs), enough for the 40-class classifier to name the classes it sees.
_base_ = ['./mechanism.py']

benchmark = dict(num_train=240, num_val=160)
model = dict(backbone=dict(out_stride=16))
cpu_threads = None
train = dict(max_iters=150)
