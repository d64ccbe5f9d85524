# PRM + Residual Attention (Wang et al., CVPR 2017, arXiv:1704.06904), fully convolutional: the
# EfficientNet-Lite0 trunk at output stride 8 with one attention module after its stride-8 80-channel stage
# (mask branch 2 levels deep) and one on top (128 channels, 1 level), then the 1x1 CRM conv.
_base_ = ['./mechanism.py']

model = dict(backbone=dict(
    _delete_=True,
    type='ResidualAttentionBackbone',
    backbone=dict(type='EfficientNetLite0', out_stride=8, with_head_conv=False, pretrained=True),
    insert=[dict(after='net._blocks.7', channels=80, p=1, t=2, r=1, depth=2)],
    top=dict(in_channels=320, channels=128, num_modules=1, p=1, t=2, r=1, depth=1),
))
peak_backprop = dict(bottom='backbone.backbone.net._blocks.3')
