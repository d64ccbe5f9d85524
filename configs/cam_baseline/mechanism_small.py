# A small instance of the mechanism benchmark for CI's regression check (a few minutes on a 2-core CPU):
# 240 train / 160 val images (another generated instance: same generator, fewer images), output stride 16 and
# both cores; 150 iterations (10 epochs). Bodies keep their family's look (body_family='own'): with only the part
# to go by (the claims' view, 'random') 150 iterations on 240 images leave the classifier near chance (measured:
# pseudo-label mIoU 6.8 %, val 2.1 %), which would make a weak regression check.
_base_ = ['./mechanism.py']

benchmark = dict(num_train=240, num_val=160, body_family='own')
model = dict(backbone=dict(out_stride=16))
cpu_threads = None
train = dict(max_iters=150)
