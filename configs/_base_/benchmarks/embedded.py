# The embedded synthetic benchmark: generated on first use into $WSISBENCH_HOME (default ~/.cache/wsisbench).
benchmark = dict(
    name='embedded',
    data_root=None,     # None: generate / reuse the cached copy
    num_train=600,      # images in the train split
    num_val=150,        # images in the val split
    image_size=128,     # px, square
    seed=0,
    train_split='train',
    eval_split='val',
)
