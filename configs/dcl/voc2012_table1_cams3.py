# Table 1 (supplementary material): detector + IMG with 3 CAM level(s), without the regressor, the IS module and
# post-processing; mAP@0.5 on VOC 2012 val.
_base_ = ['./voc2012.py']

model = dict(detector=dict(regressor='none'), cams=dict(num_levels=3))
postprocess = dict(best_proposal=False)
