# Table 3.1 'transfer w/ GloVe' (needs a GloVe text file: --cfg-options
# model.roi_head.mask_head.transfer_input.embedding_file=/path/glove.840B.300d.txt); ResNet-50-FPN, COCO 2017, voc ->
# non-voc (train masks: voc; AP on B = nonvoc).
# = coco_r50_voc2nonvoc_sw_transfer.py with T's input = a word embedding of the class name (a GloVe-style file you
# supply).
_base_ = ['./coco_r50_voc2nonvoc_sw_transfer.py']

model = dict(roi_head=dict(mask_head=dict(transfer_input=dict(kind='embedding', embedding_file=None))))
