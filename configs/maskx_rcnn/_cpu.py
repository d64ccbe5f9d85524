# Mask^X R-CNN sized for a CPU: the shared partially supervised Mask R-CNN with Mask^X R-CNN's full mask head,
# 'transfer+MLP' with T = 'cls+box, 2-layer, LeakyReLU'. Presets add a benchmark and override the mask head /
# training only.
_base_ = ['../_base_/models/partial_mask_rcnn_cpu.py']

method = 'maskx_rcnn'
custom_imports = dict(imports=['wsisbench.methods.maskx_rcnn'], allow_failed_imports=False)

model = dict(roi_head=dict(mask_head=dict(
    _delete_=True, type='TransferMaskHead', num_convs=4, in_channels=64, conv_out_channels=64, num_classes=10,
    loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0),
    transfer_input=dict(kind='cls+box', det_dim=256, stop_grad=True),
    transfer=dict(num_layers=2, hidden_dim=256, activation='leaky_relu'),
    mlp_branch=dict(hidden_dims=(256, ), reduce_channels=16))))
