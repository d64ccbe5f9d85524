# Mask^X R-CNN on COCO 2017 (paper presets): the shared ResNet-50-FPN partially supervised Mask R-CNN with the
# transfer mask head (T = 'cls+box, 2-layer, LeakyReLU', no MLP branch); presets override head and training.
_base_ = ['../_base_/models/partial_mask_rcnn_r50_coco.py']

method = 'maskx_rcnn'
custom_imports = dict(imports=['wsisbench.methods.maskx_rcnn'], allow_failed_imports=False)

model = dict(roi_head=dict(mask_head=dict(
    _delete_=True, type='TransferMaskHead', num_convs=4, in_channels=256, conv_out_channels=256, num_classes=80,
    loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0),
    transfer_input=dict(kind='cls+box', det_dim=1024, stop_grad=True),
    transfer=dict(num_layers=2, hidden_dim=1024, activation='leaky_relu'),
    mlp_branch=None)))
