# Table 7: training selection GENERAL, inference selection DETERMINISTIC (G general dropout, S stochastic
# selection, D deterministic), p = 0.9. Classifiers trained with the same selection can be shared
# across inference settings with --cfg-options classifier_train.weights=<work_dir>/train_classifier/weights.pth.
_base_ = ['./embedded.py']

classifier = dict(head=dict(dropout_p=0.9, train_selection='general', infer_selection='deterministic'))
