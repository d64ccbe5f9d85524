# A tiny NoPeopleAllowed run for CI: the embedded view (person 60 %, labels dropped 30 %, imbalance 0.2) on
# 160 train / 60 val images; the classifier 30 iterations of batches of 8 (selection every 15), IRNet 10 and
# DeepLabv3+ 20 (selection every 10). Too short to learn much: it checks that every stage runs, not what the
# steps reach. So short a classifier is never confident: IRNet takes every train image (confidence 0), not
# those above 0.8.
_base_ = ['./embedded.py']

benchmark = dict(num_train=160, num_val=60)
labels = dict(balance_target=12)
train = dict(batch_size=8, max_iters=30)
select = dict(interval=15)
irnet = dict(confidence=0.0, train=dict(batch_size=8, max_iters=10))
segmenter = dict(train=dict(batch_size=8, max_iters=20), select=dict(interval=10))
