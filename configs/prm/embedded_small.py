# A small PRM run for CI's regression check (a few minutes on a 2-core CPU): another generated instance of the
# same benchmark with 240 train / 40 val images, 300 classifier iterations (10 epochs) on both cores, 2
# qualitative images. 100 iterations left mAP^r at 0.5 at 0 and at 0.25 at 1.9 %, too low for a check to fail.
_base_ = ['./embedded.py']

benchmark = dict(num_train=240, num_val=40)
cpu_threads = None
train = dict(max_iters=300)
num_qualitative = 2
