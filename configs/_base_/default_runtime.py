# Runtime settings shared by every preset.
default_scope = 'wsisbench'
seed = 0
deterministic = False   # True makes CUDA kernels deterministic (slower); CPU runs are reproducible anyway
log_interval = 20       # iterations between training log lines (with ETA)
checkpoint_interval = 100  # iterations between resumable checkpoints of a training stage
