# The full model with the instance segmentation (IS) module. The text: "The output of the last residual block
# is shared with IMG and segmentation modules through upsampling ... For instance segmentation, the upsampled
# output of res5 is used." IS: res5 upsampled bilinearly to the IMG module's 16 x 16 grid, two 3 x 3 convs of
# 128 channels (ReLU), a 1 x 1 conv to C + 1 classes (background first); our sizes, the text gives none.
# Supervision: pseudo masks from the detector and the IMG module, as the main text trains it. The boxes are the
# detector's pseudo ground truth (per class in the image, the top-scoring proposal of the scores that supervise
# the last refinement stream, the regressor's targets); inside a box, grid cells where the fused CAM of the box's
# class (detached) is >= 0.2 of its in-box maximum are that class, the rest of the box is ignored, cells outside
# every box are background; the higher-scoring box decides where boxes overlap. Loss: cross-entropy, weight 1.
# The CAM fused for the pseudo masks is that of the first 3 trained levels (the paper's three), as the test's.
# Test: a detection's mask is its class's IS probability (averaged over the test views, brought to the image
# bilinearly) >= 0.5 inside its box, in place of the fused CAM; the post-processing follows as in the full model.
_base_ = ['./mechanism.py']

model = dict(segmentation=dict(channels=128, weight=1.0, threshold=0.2, cam_levels=3))
masks = dict(source='segmentation')
