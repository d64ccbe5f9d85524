# Table 1, embedded: detector + IMG with 2 CAM level(s) (res5, res4), no regressor, no IS module, no
# post-processing (the paper's "Detector + IMG" rows). Stage-wise: the network the full model trains (the
# regressor is trained but not applied), scored with the first 2 of its CAM levels.
_base_ = ['./mechanism.py']

test = dict(regress=False, cam_levels=2)
postprocess = dict(best_proposal=False)
