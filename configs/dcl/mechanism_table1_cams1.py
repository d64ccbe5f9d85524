# Table 1, embedded: detector + IMG with 1 CAM level(s) (res5), no regressor, no IS module, no
# post-processing (the paper's "Detector + IMG" rows). Stage-wise: the network the full model trains (the
# regressor is trained but not applied), scored with the first 1 of its CAM levels.
_base_ = ['./mechanism.py']

test = dict(regress=False, cam_levels=1)
postprocess = dict(best_proposal=False)
