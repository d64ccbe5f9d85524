# Table 3.1 'fully supervised (oracle)': masks of every class, class-specific FCN head; embedded benchmark, A -> B (CPU
# preset).
_base_ = ['./_embedded_base.py']

split = dict(mask_classes='all', evaluate=dict(B='B', A='A'))
training = 'stagewise'
model = dict(roi_head=dict(mask_head=dict(
        _delete_=True, type='FCNMaskHead', num_convs=4, in_channels=64, conv_out_channels=64,
        num_classes=10, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))))
