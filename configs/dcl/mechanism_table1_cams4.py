# Table 1, embedded: detector + IMG with 4 CAM level(s) (res5, res4, res3, res2), no regressor, no IS module, no
# post-processing (the paper's "Detector + IMG" rows).
_base_ = ['./_cpu.py']

model = dict(detector=dict(regressor='none'), cams=dict(num_levels=4))
postprocess = dict(best_proposal=False)
