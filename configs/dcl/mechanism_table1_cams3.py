# Table 1, embedded: detector + IMG with 3 CAM level(s) (res5, res4, res3), no regressor, no IS module, no
# post-processing (the paper's "Detector + IMG" rows). Stage-wise: the network the full model trains (the
# regressor is trained but not applied), scored with the first 3 of its CAM levels.
_base_ = ['./mechanism.py']

test = dict(regress=False, cam_levels=3)
postprocess = dict(best_proposal=False)
