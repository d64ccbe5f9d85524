# The full model with the instance segmentation (IS) module, on VOC 2012. The text: "The output of the last
# residual block is shared with IMG and segmentation modules through upsampling ... For instance segmentation,
# the upsampled output of res5 is used." IS: res5 (2048 channels) upsampled bilinearly to the IMG module's
# 28 x 28 grid, two 3 x 3 convs of 256 channels with group norm and ReLU, a 1 x 1 conv to 21 classes
# (background first); our sizes, the text gives none.
# Supervision: pseudo masks from the detector and the IMG module, as the main text trains it. The boxes are the
# detector's pseudo ground truth (per class in the image, the top-scoring proposal of the scores that supervise
# the last refinement stream, the regressor's targets); inside a box, grid cells where the fused CAM of the box's
# class (detached) is >= 0.2 of its in-box maximum are that class, the rest of the box is ignored, cells outside
# every box are background; the higher-scoring box decides where boxes overlap. Loss: cross-entropy, weight 1.
# Test: a detection's mask is its class's IS probability (averaged over the 10 test views, brought to the image
# bilinearly) >= 0.5 inside its box, in place of the fused CAM; then the best-matching MCG proposal.
_base_ = ['./voc2012.py']

gn = dict(type='GN', num_groups=32, requires_grad=True)
model = dict(segmentation=dict(channels=256, weight=1.0, threshold=0.2, norm_cfg=gn))
masks = dict(source='segmentation')
