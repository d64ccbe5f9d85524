# Table 3.1 'transfer w/ cls'; embedded benchmark, A -> B (CPU preset).
_base_ = ['./_embedded_base.py']

split = dict(mask_classes='A', evaluate=dict(B='B', A='A'))
training = 'stagewise'
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='TransferMaskHead', num_convs=4, in_channels=64, conv_out_channels=64,
        num_classes=10, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0),
        transfer_input=dict(kind='cls', det_dim=256, stop_grad=True),
        transfer=dict(num_layers=2, hidden_dim=256, activation='leaky_relu'),
        mlp_branch=None)))
