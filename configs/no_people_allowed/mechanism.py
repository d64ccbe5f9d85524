# NoPeopleAllowed on the mechanism benchmark's person-and-imbalance view at full size (1,200 train / 1,000
# val images, 128 px; docs/mechanism-benchmark.md): the preset the claims about the label preparation are
# decided on, one torch thread so that runs of several seed values go side by side on a 2-core machine.
# Classifier at output stride 8 (16 x 16 maps, the benchmark's scale), batches of 16, 500 iterations (the
# recipe chosen on the tuning instance, _cpu.py); balancing to 60 images per class (not tuned). Fixed before
# any claim run.
_base_ = ['./_cpu.py', '../_base_/benchmarks/mechanism.py']

benchmark = dict(person_rate=0.6, person_label_drop=0.3, imbalance=0.2)
labels = dict(balance_target=60)
model = dict(backbone=dict(out_stride=8))
train = dict(batch_size=16, max_iters=500)
select = dict(interval=100)
cpu_threads = 1   # one torch thread (the count is part of the preset)
