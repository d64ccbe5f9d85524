# NoPeopleAllowed on LID 2020 track 1 (paper preset: real data under --data-root, GPU, user-supplied ImageNet
# checkpoints in torchvision layout: --cfg-options pretrained.classifier=VGG16.pth pretrained.irnet=R50.pth
# pretrained.segmenter=R50.pth). Table 3's row "ResNet50, IRNet thr. 0.3, TTA, no person" and Table 2's three
# rows. Step 1 as in Sec. 3.1: the
# 'person' labels are removed and the other 199 classes balanced by downsampling (the paper keeps 85,819
# images, 72,946 for training and 12,873 for validation: 15 % held out); VGG-16 with 4 additional
# convolutional layers (as in Integral Object Mining via Online Attention Accumulation, ICCV 2019), a binary
# cross-entropy per class, Adam with lr 1e-4 for the pretrained part and 1e-3 for the new layers, strong
# augmentation; model selection by F1 of the image labels on the held-out images; CAMs + dense CRF, scored on
# val. Not stated in the paper and chosen here: the
# balancing target (430 images per class, which gives about the paper's 86 k images; an estimate, check the
# report of prepare_labels), the input size (320 px crops of images resized to 320-400 px), batch 16, 20
# epochs, the CAM background score and the CRF settings.
_base_ = ['../_base_/default_runtime.py']

method = 'no_people_allowed'
custom_imports = dict(imports=['wsisbench.methods.no_people_allowed'], allow_failed_imports=False)

benchmark = dict(name='lid2020', data_root=None, train_split='train', eval_split='val')   # --data-root DIR

requires_pretrained = True   # --cfg-options pretrained.classifier=PATH pretrained.irnet=PATH pretrained.segmenter=PATH
pretrained = dict(_delete_=True, classifier=None, irnet=None, segmenter=None)
pretrained_description = ('ImageNet checkpoints in torchvision layout: VGG-16 for the classifier (features.<i>), '
                          'ResNet-50 for IRNet and ResNet-50 / -101 for DeepLabv3+ (conv1, bn1, layer1-4)')

labels = dict(remove_person=True, person_class='person', balance_target=430, seed=0, holdout=0.15)

# VGG-16 (conv1-conv5 as DeepLab-LargeFOV has them: pool4 at stride 1, conv5 dilated, no pool5; output
# stride 8) + 3 extra 3x3 convolutions (512, ReLU) + the 1x1 class convolution: the 4 additional layers.
model = dict(
    type='GAPClassifier',
    backbone=dict(type='VGG16Extra', num_extra=3, extra_channels=512),   # pretrained: set at run time
    num_classes=None,
    data_preprocessor=dict(type='mmengine.ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
)

train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmcv.RandomResize', scale=(400, 400), ratio_range=(0.8, 1.0), keep_ratio=True),
    dict(type='StrongAugment', p=0.5),
    dict(type='mmdet.RandomCrop', crop_size=(320, 320), allow_negative_crop=True),
    dict(type='mmdet.Pad', size=(320, 320), pad_val=dict(img=0)),
    dict(type='PackClsInputs'),
]

# Adam: lr 1e-3 for the 4 new layers, 1e-4 (lr_mult 0.1) for the ImageNet convolutions (backbone.vgg).
train = dict(
    batch_size=16,
    sampler='InfiniteSampler',
    num_workers=4,
    max_iters=91200,     # 20 epochs of the ~72,946 training images at batch 16
    optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3),
                       paramwise_cfg=dict(custom_keys={'backbone.vgg': dict(lr_mult=0.1)})),
    param_scheduler=[],
)
select = dict(enabled=True, interval=4560, threshold=0.5, average='macro')   # every epoch

# CAMs at 4 scales with flip; kept for Step 2 on IRNet's stride-4 grid too (float32, about 94 KB for two
# classes of a 500 x 375 image, so some 8 GB for the train and val images of LID 2020).
cams = dict(splits=('train', 'val'), scales=(1.0, 0.5, 1.5, 2.0), flip=True, score_threshold=0.5,
            bg_threshold=0.3, val_labels='predicted', num_qualitative=4, walk_stride=4)
crf = dict(enabled=True, iterations=10, scale_factor=1.0, gaussian_sxy=3.0, gaussian_compat=3.0,
           bilateral_sxy=80.0, bilateral_srgb=13.0, bilateral_compat=10.0)

# Step 2 (Sec. 3.2): IRNet on a frozen ImageNet ResNet-50 (strides 4 / 8 / 16 / 16: the last stage at stride 1,
# as IRNet has it), its branches on the four stages; trained on the Step 1 maps of the train images whose
# classification confidence exceeds 0.8, at scales 0.5 / 1 / 1.5 / 2, 512 px crops; SGD, lr 0.05 for the
# displacement and 0.005 for the boundary branch (IRNet's momentum, weight decay, polynomial decay, batch 32
# and 3 epochs: not stated in the paper). Pairs within radius 10 of the stride-4 grid (IRNet's value).
seg_preprocessor = dict(type='mmseg.SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512))
irnet = dict(
    confidence=0.8,
    model=dict(type='IRNet', radius=10.0, in_channels=(256, 512, 1024, 2048),
               backbone=dict(type='mmdet.ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3),
                             strides=(1, 2, 2, 1), frozen_stages=4, norm_eval=True, style='pytorch'),
               heads=dict(boundary_channels=32, displacement_channels=64, groups=4),
               data_preprocessor=seg_preprocessor),
    train_pipeline=[
        dict(type='mmcv.LoadImageFromFile'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmcv.RandomChoice',
             transforms=[[dict(type='mmcv.Resize', scale_factor=f, keep_ratio=True)] for f in (0.5, 1.0, 1.5, 2.0)]),
        dict(type='mmseg.RandomCrop', crop_size=(512, 512)),
        dict(type='mmcv.RandomFlip', prob=0.5),
        dict(type='mmseg.PackSegInputs'),
    ],
    train=dict(
        batch_size=32,
        sampler='InfiniteSampler',
        num_workers=4,
        max_iters=6000,   # about 3 epochs of the confident images (IRNet trains 3 epochs)
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=1e-4),
                           paramwise_cfg=dict(custom_keys={'heads.displacement': dict(lr_mult=10.0)})),
        param_scheduler=[dict(type='PolyLR', eta_min=0.0, power=0.9)],
    ),
)
# IRNet's random walk (beta 10, 256 steps, radius 5 at inference as in IRNet); IRNet thr. 0.3. The sparse
# transition matrix of a 500 x 375 image's stride-4 grid (125 x 94 nodes) takes about 11 MiB.
random_walk = dict(splits=('train', 'val'), radius=5.0, beta=10.0, iterations=256, bg_threshold=0.3)

# Step 3 (Sec. 3.3-3.4): DeepLabv3+ (mmsegmentation's head) on an ImageNet ResNet-50 whose last two stages
# replace their stride by dilation (output stride 8, ASPP rates 12 / 24 / 36), trained on Step 2's maps with
# cross-entropy (ignore 255), SGD lr 0.001, momentum 0.9, weight decay 1e-6; 512 px crops, batch 16 and
# 40k iterations (not stated). Selected by held-out mIoU against the Step 2 maps (the paper: by val mIoU,
# select.on='val'). TTA: horizontal flip x scales 0.5 / 1 / 2.
segmenter = dict(
    model=dict(
        type='mmseg.EncoderDecoder',
        data_preprocessor=seg_preprocessor,
        backbone=dict(type='mmseg.ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), strides=(1, 2, 1, 1),
                      dilations=(1, 1, 2, 4), contract_dilation=True, norm_eval=False, style='pytorch'),
        decode_head=dict(type='mmseg.DepthwiseSeparableASPPHead', in_channels=2048, in_index=3, channels=512,
                         dilations=(1, 12, 24, 36), c1_in_channels=256, c1_channels=48, dropout_ratio=0.1,
                         num_classes=None, norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                         loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                          avg_non_ignore=True)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    train_pipeline=[
        dict(type='mmcv.LoadImageFromFile'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmcv.RandomResize', scale=(512, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type='mmseg.RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
        dict(type='mmcv.RandomFlip', prob=0.5),
        dict(type='mmseg.PackSegInputs'),
    ],
    train=dict(
        batch_size=16,
        sampler='InfiniteSampler',
        num_workers=4,
        max_iters=40000,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-6),
                           paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)})),
        param_scheduler=[dict(type='PolyLR', eta_min=0.0, power=0.9)],
    ),
    select=dict(enabled=True, on='holdout', interval=4000),
    tta=dict(enabled=True, scales=(0.5, 1.0, 2.0), flip=True),
)

# The person variant (lid2020_person): as in _cpu.py, the classifier's VGG-16 network with one output.
person = dict(enabled=False, score_threshold=0.5, cam_threshold=0.5, train=None)
