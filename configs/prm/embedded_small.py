# A small PRM run for CI's regression check (a few minutes on a 2-core CPU): another generated instance of the
# same benchmark with 240 train / 40 val images, 100 classifier iterations on both cores, 2 qualitative images.
# Its scores are low (a briefly trained classifier); the check guards the whole pipeline against regressions.
_base_ = ['./embedded.py']

benchmark = dict(num_train=240, num_val=40)
cpu_threads = None
train = dict(max_iters=100)
num_qualitative = 2
