# A small DCL run for CI's regression check (a few minutes on a 2-core CPU): another generated instance of the
# same benchmark with 240 train / 40 val images, 300 iterations (10 epochs) on both cores, test at 128 px with
# flip.
_base_ = ['./embedded.py']

benchmark = dict(num_train=240, num_val=40)
train = dict(max_iters=300)
test = dict(scales=(128,))
