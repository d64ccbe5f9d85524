# FickleNet paper preset (Table 2): the VGG-16 FickleNet classifier and maps of voc2012_vgg16.py, with
# DeepLab-v2 (ResNet-101, ASPP) as the DSRG segmenter.
#   --cfg-options pretrained.classifier=vgg16_imagenet.pth pretrained.segmenter=resnet101_imagenet.pth
#                 (torchvision-format state dicts) localization.saliency_dir=DIR
_base_ = ['./voc2012_vgg16.py']

# Two networks, two ImageNet backbones: one checkpoint each.
pretrained = dict(_delete_=True, classifier=None, segmenter=None)
pretrained_description = ('pretrained.classifier: a torchvision-format ImageNet VGG-16 state dict; '
                          'pretrained.segmenter: a torchvision-format ImageNet ResNet-101 state dict')

# mmdet's ResNet-101, output stride 8 (layer3/4 dilated 2/4), frozen BN statistics (DeepLab-v2); pytorch
# style (stride in the 3x3 conv) so that torchvision's ImageNet weights load key for key.
segmenter = dict(
    backbone=dict(_delete_=True, type='mmdet.ResNet', depth=101, num_stages=4, strides=(1, 2, 1, 1),
                  dilations=(1, 1, 2, 4), out_indices=(3,), style='pytorch', frozen_stages=-1,
                  norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True),
    decode_head=dict(_delete_=True, type='ASPPHead', in_channels=2048, dilations=(6, 12, 18, 24)),
)
