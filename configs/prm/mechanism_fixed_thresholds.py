# The reference implementation's fixed thresholds: a class is valid when its peak-stimulated score is >= 0
# (probability 0.5), a peak when its CRM value is > 30. 30 is the reference demo's value in the CRM units of
# its ResNet-50 at 448 px; it is kept as is (the original rule), although this small network's CRM values
# may rarely reach it: the run reports valid_peaks_per_image. Another value: --cfg-options
# thresholds.peak_threshold=V.
_base_ = ['./mechanism.py']

thresholds = dict(mode='fixed', class_threshold=0.0, peak_threshold=30.0)
