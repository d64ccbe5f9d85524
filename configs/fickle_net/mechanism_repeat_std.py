# Table 6 on the mechanism benchmark: the std of the pseudo-label mIoU over R = 5 repeated extractions of the maps
# of 100 training images, for N = 10, 100, 200, 300 (one classifier, p = 0.9).
_base_ = ['./mechanism.py']

repeat = dict(num_repeats=5, num_passes=[10, 100, 200, 300], num_images=100)
stages = ['train_classifier', 'repeat_inference_std']
