# NoPeopleAllowed on LID 2020 track 1 (paper preset: real data under --data-root, GPU, a user-supplied ImageNet
# VGG-16 checkpoint through --cfg-options pretrained=PATH, torchvision layout). Step 1 as in Sec. 3.1: the
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

requires_pretrained = True   # --cfg-options pretrained=PATH
pretrained_description = 'an ImageNet VGG-16 checkpoint (torchvision layout: features.<i>.weight / .bias)'

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

cams = dict(splits=('train', 'val'), scales=(1.0, 0.5, 1.5, 2.0), flip=True, score_threshold=0.5,
            bg_threshold=0.3, val_labels='predicted', num_qualitative=4)
crf = dict(enabled=True, iterations=10, scale_factor=1.0, gaussian_sxy=3.0, gaussian_compat=3.0,
           bilateral_sxy=80.0, bilateral_srgb=13.0, bilateral_compat=10.0)
