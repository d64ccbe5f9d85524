# Table 3.3 'transfer+MLP'; ResNet-50-FPN, COCO 2017, non-voc -> voc (train masks: nonvoc; AP on B = voc).
_base_ = ['./_coco_r50.py']

split = dict(mask_classes='nonvoc', evaluate=dict(B='voc', A='nonvoc'))
training = 'stagewise'
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='TransferMaskHead', num_convs=4, in_channels=256, conv_out_channels=256,
        num_classes=80, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0),
        transfer_input=dict(kind='cls+box', det_dim=1024, stop_grad=True),
        transfer=dict(num_layers=2, hidden_dim=1024, activation='leaky_relu'),
        mlp_branch=dict(hidden_dims=(1024, ), reduce_channels=0))))
