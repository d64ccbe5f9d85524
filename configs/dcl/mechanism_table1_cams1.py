# Table 1, embedded: detector + IMG with 1 CAM level(s) (res5), no regressor, no IS module, no
# post-processing (the paper's "Detector + IMG" rows).
_base_ = ['./_cpu.py']

model = dict(detector=dict(regressor='none'), cams=dict(num_levels=1))
postprocess = dict(best_proposal=False)
