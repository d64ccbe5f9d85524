"""FickleNet Table 4 in one run: naive per-position windows vs map expansion.

Measures, for the same backbone, head weights and sizes:

- training: one optimizer-free step (forward + backward of backbone + FickleNet head), sec/iter;
- CAM extraction: one backbone forward + N stochastic Grad-CAM passes per image, sec/img;

and the peak memory of each phase (CUDA: max_memory_allocated / reserved, reset per phase; CPU: the
process's peak resident memory, reset per phase through /proc/self/clear_refs). Prints the naive /
expansion speed ratios (paper: 15.4x training, 14.2x extraction, with 12% more GPU memory).

    python benchmarks/ficklenet_expansion.py --quick
    python benchmarks/ficklenet_expansion.py --paper --device cuda   # VGG-16, 321x321, batch 10, N=200
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import platform
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsisbench.models.ficklenet import FickleNetHead, NaiveFickleNetHead, fickle_localization_maps  # noqa: E402

PRESETS = {
    "quick": dict(batch=2, image_size=64, channels=32, classes=5, kernel_size=3, passes=8, chunk=4,
                  backbone="tiny", repeats=2, warmup=1, images=2),
    "default": dict(batch=2, image_size=129, channels=128, classes=20, kernel_size=3, passes=32, chunk=8,
                    backbone="tiny", repeats=3, warmup=1, images=2),
    "paper": dict(batch=10, image_size=321, channels=512, classes=20, kernel_size=9, passes=200, chunk=10,
                  backbone="vgg16", repeats=3, warmup=1, images=3),
}


class TinyBackbone(nn.Module):
    """A stride-8 conv stack standing in for conv1-conv5: [B, 3, S, S] -> [B, C, ~S/8, ~S/8]."""

    def __init__(self, channels: int):
        super().__init__()
        widths = [3, 32, 64, channels]
        layers = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


class VGG16Conv5(nn.Module):
    """VGG-16 conv layers as in DeepLab-LargeFOV (pool4 stride 1, dilated conv5): 321 -> 41x41x512.

    Random weights: only timing and memory are measured.
    """

    def __init__(self, channels: int = 512):
        super().__init__()
        cfg = [(64, 2, 2, 1), (128, 2, 2, 1), (256, 3, 2, 1), (512, 3, 1, 1), (channels, 3, 0, 2)]
        layers, cin = [], 3
        for cout, n, pool_stride, dilation in cfg:
            for _ in range(n):
                layers += [nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True)]
                cin = cout
            if pool_stride:
                layers.append(nn.MaxPool2d(3, stride=pool_stride, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


class PeakMemory:
    """Peak memory of a phase in MiB: CUDA allocated/reserved, or CPU peak RSS (VmHWM)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.start_rss_mib = 0.0

    @staticmethod
    def _status_mib(key: str) -> float | None:
        status = Path("/proc/self/status")
        for line in (status.read_text().splitlines() if status.exists() else []):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return None

    def reset(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            gc.collect()
            try:  # hand freed heap pages back to the OS so that the phase's own peak shows
                ctypes.CDLL("libc.so.6").malloc_trim(0)
            except (OSError, AttributeError):
                pass
            try:
                Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            except OSError:
                pass
            self.start_rss_mib = self._status_mib("VmRSS") or 0.0

    def read(self) -> dict:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            return {"allocated_mib": torch.cuda.max_memory_allocated(self.device) / 2**20,
                    "reserved_mib": torch.cuda.max_memory_reserved(self.device) / 2**20}
        peak = self._status_mib("VmHWM")
        if peak is None:
            import resource
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"peak_rss_mib": peak, "peak_rss_above_start_mib": peak - self.start_rss_mib}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device, warmup: int, repeats: int, memory: PeakMemory) -> tuple[float, dict]:
    """Mean seconds per call of ``fn`` after ``warmup`` calls; peak memory over warm-up and timed calls."""
    memory.reset()
    for _ in range(warmup):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync(device)
    return (time.perf_counter() - start) / repeats, memory.read()


def run(cfg: dict) -> dict:
    device = torch.device(cfg["device"])
    gen = torch.Generator(device=device).manual_seed(0)
    backbone = (VGG16Conv5(cfg["channels"]) if cfg["backbone"] == "vgg16" else TinyBackbone(cfg["channels"]))
    backbone = backbone.to(device)
    head_args = dict(in_channels=cfg["channels"], num_classes=cfg["classes"], kernel_size=cfg["kernel_size"],
                     dropout_p=cfg["p"])
    heads = {"expansion": FickleNetHead(**head_args).to(device)}
    heads["naive"] = NaiveFickleNetHead(**head_args).to(device)
    heads["naive"].load_state_dict(heads["expansion"].state_dict())
    b, s = cfg["batch"], cfg["image_size"]
    images = torch.rand(b, 3, s, s, device=device, generator=gen)
    labels = (torch.rand(b, cfg["classes"], device=device, generator=gen) < 0.15).float()
    with torch.no_grad():
        feat_shape = tuple(backbone(images[:1]).shape[1:])
    memory = PeakMemory(device)
    present = list(range(min(2, cfg["classes"])))
    out = {"config": cfg, "feature_shape": feat_shape, "device_name": device_name(device), "phases": {}}

    for name in ("naive", "expansion"):  # naive first: its peak cannot hide under the expansion's
        head = heads[name]

        def train_step(head=head):
            backbone.zero_grad(set_to_none=True)
            head.zero_grad(set_to_none=True)
            head.train()
            loss = head.loss(head(backbone(images), generator=gen), labels)
            loss.backward()

        sec, mem = timed(train_step, device, cfg["warmup"], cfg["repeats"], memory)
        out["phases"][f"train/{name}"] = {"sec_per_iter": sec, "sec_per_img": sec / b, **mem}

        def extract(head=head):
            head.eval()
            for i in range(cfg["images"]):
                img = images[i % b: i % b + 1]
                with torch.no_grad():
                    feats = backbone(img)
                fickle_localization_maps(feats, head, present, cfg["passes"], cfg["chunk"],
                                         out_size=(s, s), generator=gen)

        sec, mem = timed(extract, device, cfg["warmup"], cfg["repeats"], memory)
        out["phases"][f"cam/{name}"] = {"sec_per_img": sec / cfg["images"], **mem}

    ph = out["phases"]
    out["speedup"] = {"train": ph["train/naive"]["sec_per_iter"] / ph["train/expansion"]["sec_per_iter"],
                      "cam": ph["cam/naive"]["sec_per_img"] / ph["cam/expansion"]["sec_per_img"]}
    return out


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def report(out: dict) -> str:
    cfg = out["config"]
    mem_key = "allocated_mib" if cfg["device"].startswith("cuda") else "peak_rss_above_start_mib"
    lines = [
        f"FickleNet map expansion benchmark on {out['device_name']}",
        f"  backbone {cfg['backbone']}, batch {cfg['batch']}, image {cfg['image_size']}x{cfg['image_size']}, "
        f"conv5 {out['feature_shape']}, K={cfg['classes']}, k={cfg['kernel_size']}, p={cfg['p']}, "
        f"N={cfg['passes']} passes (chunk {cfg['chunk']}), 2 classes per image",
        f"  {'phase':<18}{'time':>16}{'peak ' + mem_key:>32}",
    ]
    for name, ph in out["phases"].items():
        t = f"{ph['sec_per_iter']:.4f} s/iter" if "sec_per_iter" in ph else f"{ph['sec_per_img']:.4f} s/img"
        lines.append(f"  {name:<18}{t:>16}{ph[mem_key]:>32.1f}")
    ph = out["phases"]
    mem_ratio = {k: ph[f"{k}/expansion"][mem_key] / max(ph[f"{k}/naive"][mem_key], 1e-9) for k in ("train", "cam")}
    lines.append(f"  speed-up naive/expansion: training {out['speedup']['train']:.1f}x, "
                 f"CAM extraction {out['speedup']['cam']:.1f}x   (paper: 15.4x, 14.2x)")
    lines.append(f"  memory expansion/naive: training {mem_ratio['train']:.2f}, CAM {mem_ratio['cam']:.2f}"
                 f"   (paper: 10.1 / 8.4 GB = 1.20)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="tiny sizes (seconds on a CPU)")
    group.add_argument("--paper", action="store_true", help="paper sizes: VGG-16, 321x321, batch 10, k=9, N=200")
    for key, typ in [("batch", int), ("image_size", int), ("channels", int), ("classes", int),
                     ("kernel_size", int), ("passes", int), ("chunk", int), ("repeats", int), ("warmup", int),
                     ("images", int)]:
        parser.add_argument("--" + key.replace("_", "-"), type=typ, default=None)
    parser.add_argument("--backbone", choices=["tiny", "vgg16"], default=None)
    parser.add_argument("--p", type=float, default=0.9, help="dropout rate (default 0.9)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = dict(PRESETS["quick" if args.quick else "paper" if args.paper else "default"])
    for key in list(cfg) + ["backbone"]:
        if getattr(args, key, None) is not None:
            cfg[key] = getattr(args, key)
    cfg.update(p=args.p, device=args.device)
    torch.manual_seed(0)
    out = run(cfg)
    print(report(out))
    if args.json:
        from wsisbench.utils.atomic import atomic_write_json
        atomic_write_json(args.json, json.loads(json.dumps(out, default=str)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
