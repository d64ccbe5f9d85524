# PRM + Residual Attention (the "PRM + Residual Attention" student report's recipe): a Residual Attention
# Network (Wang et al., CVPR 2017, arXiv:1704.06904) turned fully convolutional -- ImageNet ResNet-50 stages
# with one attention module after each of layer1-3 (soft-mask depth 3, 2, 1 as Attention-56) -- trained on
# the first 20 % of VOC 2012 train_aug (10 % of it held out; the report also states 1 %:
# --cfg-options train_subset.held_out=0.01), 448 x 448, horizontal flip 0.5, SGD lr 0.01 momentum 0.9
# weight decay 1e-4, batch 8, 4 epochs, multi-label soft-margin loss, adaptive thresholds.
#   --data-root VOCdevkit --cfg-options pretrained=resnet50.pth proposals.files=MCG_DIR
_base_ = ['./voc2012_r50.py']

pretrained_submodule = 'backbone.backbone'   # the ImageNet checkpoint initialises the ResNet inside the RAN
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResidualAttentionBackbone',
        backbone=dict(type='mmdet.ResNet', depth=50, num_stages=4, out_indices=(3,), strides=(1, 2, 2, 2),
                      style='pytorch', frozen_stages=-1, norm_eval=True),
        insert=[dict(after='layer1', channels=256, depth=3), dict(after='layer2', channels=512, depth=2),
                dict(after='layer3', channels=1024, depth=1)],
        out_channels=2048,
    ),
)
train_subset = dict(_delete_=True, fraction=0.2, held_out=0.1)
train_images = 1904    # round(0.2 * 10582) = 2116, minus round(0.1 * 2116) = 212 held out
train = dict(batch_size=8, max_iters=4 * 1904 // 8)   # 4 epochs
thresholds = dict(mode='adaptive', population='image')
peak_backprop = dict(bottom='backbone.backbone.layer1')
