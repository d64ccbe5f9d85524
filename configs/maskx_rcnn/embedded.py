# Mask^X R-CNN on the embedded benchmark (CPU): 'transfer+MLP', T = 'cls+box, 2-layer, LeakyReLU', end to end
# with stop-gradient on w_det (the paper's full method, Table 3.5). Measured on an idle 2-core CPU: 7.7 min
# wall (300 iterations of 8 images at 192 px, 1.44 s/iter, then 150 val images).
_base_ = ['./_embedded_base.py']
