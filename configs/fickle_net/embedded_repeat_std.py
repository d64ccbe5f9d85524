# Table 6: std of the pseudo-label mIoU over R = 5 repeated extractions for N in {10, 100, 200, 300}, on the
# first 100 training images (one trained classifier; no segmenter). Runs the classifier and the
# repeat_inference_std stage only.
_base_ = ['./embedded.py']

repeat = dict(num_repeats=5, num_passes=[10, 100, 200, 300], num_images=100)
stages = ['train_classifier', 'repeat_inference_std']
