# A tiny NoPeopleAllowed run for CI: the embedded view (person 60 %, labels dropped 30 %, imbalance 0.2) on
# 160 train / 60 val images, 30 iterations of batches of 8, selection every 15. Too short to learn much: it
# checks that every stage runs, not what Step 1 reaches.
_base_ = ['./embedded.py']

benchmark = dict(num_train=160, num_val=60)
labels = dict(balance_target=12)
train = dict(batch_size=8, max_iters=30)
select = dict(interval=15)
