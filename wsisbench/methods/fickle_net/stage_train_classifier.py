"""Stage ``train_classifier``: FickleNet's classifier on image labels (Algorithm 1, lines 1-7)."""
from __future__ import annotations

import shutil
from pathlib import Path

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.step_timer_hook import read_train_profile
from wsisbench.pipeline.training import WEIGHTS_NAME, train_with_runner

from .model_configs import classifier_cfg
from .requirements import check_requirements
from .samples import class_names


def train_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """Multi-label sigmoid cross-entropy with the head's training selection (S: centre-fixed dropout).

    ``classifier_train.weights`` (a ``weights.pth`` of an earlier run) skips training and reuses it,
    e.g. to score several inference selections of one trained classifier (Table 7).
    """
    cfg = ctx.cfg
    check_requirements(cfg)  # fail now, not after training, when a paper preset lacks user inputs
    train = cfg.classifier_train
    if train.get("weights"):
        src = Path(str(train.weights)).expanduser()
        if not src.is_file():
            raise WsisbenchError(f"classifier_train.weights {src} does not exist")
        if ctx.is_main:
            shutil.copyfile(src, out_dir / WEIGHTS_NAME)
        ctx.barrier()
        return {"profile": {"classifier_weights_from": str(src)}}
    dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   metainfo=dict(classes=tuple(class_names(ctx))), show_progress=False,
                   pipeline=cfg.classifier_pipeline)
    if cfg.benchmark.get("sbd_root"):
        dataset["sbd_root"] = cfg.benchmark.sbd_root
    loader = dict(batch_size=train.batch_size, num_workers=train.get("num_workers", 0),
                  persistent_workers=train.get("num_workers", 0) > 0,
                  sampler=dict(type="DefaultSampler", shuffle=True, seed=cfg.seed),
                  collate_fn=dict(type="pseudo_collate"), dataset=dataset)
    train_with_runner(ctx, out_dir, model=classifier_cfg(ctx), train_dataloader=loader,
                      optim_wrapper=train.optim_wrapper, max_iters=train.max_iters,
                      param_scheduler=train.get("param_scheduler"))
    sec_per_iter = read_train_profile(out_dir).get("sec_per_iter")  # StepTimerHook: warm-up excluded
    return {"profile": {"sec_per_iter": sec_per_iter, "classifier_sec_per_iter": sec_per_iter,
                        "classifier_iters": train.max_iters, "classifier_batch_size": train.batch_size}}
