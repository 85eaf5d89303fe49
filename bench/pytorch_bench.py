#!/usr/bin/env python3
"""PyTorch side of the MlNetCnn benchmark (row (c) and the PyTorch scoring row of (d)).

The C# bench (bench/MlNetCnn.Bench) writes the image tensors as raw little-endian float32 files and runs this
script with the same network, batch size, optimizer, epochs and thread count (or, without --threads, PyTorch's own
thread count, as it starts). It prints one JSON object.
With --autocast, forward passes (training and scoring) run under torch.autocast('cpu', dtype=torch.bfloat16): PyTorch's
mixed precision (bfloat16 convolutions and linear layers, float32 weights, optimiser state and loss).
Needs Debian's python3-torch only (no numpy): run it with /usr/bin/python3.
"""
import argparse
import contextlib
import json
import os
import re
import statistics
import time

import torch
from torch import nn


class CnnNetwork(nn.Module):
    """MlNetCnn.Network.CnnNetwork, layer for layer: conv blocks (conv, BN, ReLU, max-pool), dense (linear, BN, ReLU), one logit."""

    def __init__(self, channels, side, conv=(64, 64, 128), kernel=5, pool=2, hidden=(500, 500)):
        super().__init__()
        blocks = []
        for out in conv:
            blocks += [nn.Conv2d(channels, out, kernel), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(pool)]
            channels = out
            side = (side - kernel + 1) // pool
        self.features = nn.Sequential(*blocks)
        dense, width = [], channels * side * side
        for units in hidden:
            dense += [nn.Linear(width, units), nn.BatchNorm1d(units), nn.ReLU()]
            width = units
        dense.append(nn.Linear(width, 1))
        self.classifier = nn.Sequential(*dense)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1)).squeeze(1)


def precision(autocast):
    """The context forward passes run in: PyTorch's CPU autocast to bfloat16, or nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()


def train(net, optimizer, images, labels, epochs, batch, generator, max_steps=None, autocast=False):
    """The textbook loop; a lone last row is skipped, as MlNetCnn's trainer does. Returns images trained on."""
    loss_fn = nn.BCEWithLogitsLoss()
    net.train()
    seen, steps = 0, 0
    n = images.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            if idx.numel() < 2:
                continue
            x, y = images.index_select(0, idx), labels.index_select(0, idx)
            optimizer.zero_grad()
            with precision(autocast):
                logits = net(x)
            loss = loss_fn(logits.float(), y)
            loss.backward()
            optimizer.step()
            loss.item()
            seen += idx.numel()
            steps += 1
            if max_steps is not None and steps >= max_steps:
                return seen
    return seen


def score(net, images, batch, autocast=False):
    net.eval()
    out = torch.empty(images.shape[0])
    with torch.no_grad(), precision(autocast):
        for start in range(0, images.shape[0], batch):
            out[start:start + batch] = net(images[start:start + batch]).float()
    return out


def matmul_gflops(sides, repeats, sample_seconds=0.05):
    """The best FP32 matmul throughput over several square sizes and repetitions: (GFLOP/s, side)."""
    best = (0.0, 0)
    for n in sides:
        a, b = torch.randn(n, n), torch.randn(n, n)
        t = time.perf_counter()
        torch.matmul(a, b)
        calls = max(1, int(sample_seconds / max(time.perf_counter() - t, 1e-6)) + 1)
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(calls):
                torch.matmul(a, b)
            best = max(best, (2 * n ** 3 * calls / (time.perf_counter() - t) / 1e9, n))
    return best


def build_facts():
    """What this PyTorch dispatches to: its CPU capability, the BLAS its build names, and the BLAS library loaded."""
    config = torch.__config__.show()
    capability = next((l.split(":", 1)[1].strip() for l in config.splitlines() if "CPU capability usage" in l), None)
    blas_info = next((f"BLAS_INFO={m.group(1)}" for m in [re.search(r"BLAS_INFO=([^,\s]+)", config)] if m), None)
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
        blas = sorted(p for p in paths if "blas" in p.rsplit("/", 1)[-1].lower())
        blas_library = ", ".join(os.path.realpath(p) for p in blas) or None
    except OSError:
        blas_library = None
    return capability, blas_info, blas_library


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", required=True, help="raw float32 file, count x channels x side x side")
    p.add_argument("--labels", required=True, help="raw float32 file, count values of 0 or 1")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--side", type=int, required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads; absent or 0, PyTorch's own count (as it starts)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup-steps", type=int, default=2)
    p.add_argument("--score-count", type=int, default=None, help="rows to score (default: all)")
    p.add_argument("--matmul", default="", help="also measure the FP32 matmul peak: comma-separated square sides")
    p.add_argument("--matmul-repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--autocast", action="store_true", help="train and score under torch.autocast('cpu', dtype=torch.bfloat16)")
    a = p.parse_args()

    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    size = a.count * a.channels * a.side * a.side
    images = torch.from_file(a.images, size=size, dtype=torch.float32).view(a.count, a.channels, a.side, a.side)
    labels = torch.from_file(a.labels, size=a.count, dtype=torch.float32)
    generator = torch.Generator().manual_seed(a.seed)

    def fresh():
        net = CnnNetwork(a.channels, a.side)
        return net, torch.optim.Adam(net.parameters(), lr=a.lr)

    net, opt = fresh()
    train(net, opt, images, labels, 1, a.batch, generator, max_steps=a.warmup_steps, autocast=a.autocast)
    train_times, seen = [], 0
    for _ in range(a.repeats):
        net, opt = fresh()
        t = time.perf_counter()
        seen = train(net, opt, images, labels, a.epochs, a.batch, generator, autocast=a.autocast)
        train_times.append(time.perf_counter() - t)

    to_score = images[:a.score_count] if a.score_count else images
    score(net, to_score[:a.batch], a.batch, a.autocast)
    score_times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        score(net, to_score, a.batch, a.autocast)
        score_times.append(time.perf_counter() - t)

    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "autocast": a.autocast,
        "train_images": seen,
        "train_seconds": train_times,
        "train_images_per_second": seen / statistics.median(train_times),
        "score_images": to_score.shape[0],
        "score_seconds": score_times,
        "score_images_per_second": to_score.shape[0] / statistics.median(score_times),
    }
    if a.matmul:
        result["matmul_gflops"], result["matmul_side"] = matmul_gflops([int(n) for n in a.matmul.split(",")], a.matmul_repeats)
    result["cpu_capability"], result["blas_info"], result["blas_library"] = build_facts()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
