# The mechanism benchmark (docs/mechanism-benchmark.md): parts and bodies, 40 classes in 8 shape families,
# same-class multiples; generated on first use into $WSISBENCH_HOME (default ~/.cache/wsisbench).
# Every generator parameter below is part of the benchmark's identity (its cache name hashes them).
benchmark = dict(
    name='mechanism',
    data_root=None,             # None: generate / reuse the cached copy
    num_train=1200,             # images in the train split
    num_val=1000,               # images in the val split
    image_size=128,             # px, square (methods run at output stride 8: 16 x 16 maps)
    seed=0,
    max_instances=6,            # up to 6 instances per image
    multi_rate=0.55,            # images planned with 2-4 instances of one class (PRM, DCL)
    touching_rate=0.5,          # group members touching another member (else apart)
    min_part_fraction=0.12,     # part / object area target (FickleNet, DCL); visible rule [0.10, 0.20]
    max_part_fraction=0.17,
    low_contrast_rate=0.2,      # instances on a patch of their own body colours (Mask^X R-CNN)
    clutter_rate=0.3,           # instances with unlabelled same-coloured blobs touching them (Mask^X R-CNN)
    person_rate=0.0,            # label-noise view (NoPeopleAllowed): share of images with a 'person'; 0 = off
    person_label_drop=0.0,      # label-noise view: person label dropped from train label lists at this rate
    imbalance=1.0,              # imbalance view: rarest / most frequent class frequency in train; 1 = off
    # member_cue='body' (not set: the default) shows a member's shape parameter on its body (Mask^X R-CNN);
    # the parts view, member_cue='part', leaves it to the part alone (FickleNet, DCL: configs set it there)
    # body_family='own' (not set: the default) dresses a body in its family's outline, pattern and colours;
    # 'random' draws that family per instance, so only the part names the class (FickleNet, DCL)
    train_split='train',
    eval_split='val',
)
