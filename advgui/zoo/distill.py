"""Train InceptionV3's missing 2048 -> 1000 classifier layer from EfficientNet-Lite0's soft labels.

Loss per view: T^2 * KL(softmax(teacher / T) || softmax(student / T)), plus L2 weight decay; Adam
on minibatches over standardized features (the standardization is folded back into the layer).
Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advgui.cli.progress import ProgressBar


@dataclass(frozen=True)
class DistillConfig:
    temperature: float = 2.0
    weight_decay: float = 1e-4
    epochs: int = 30
    batch: int = 512
    lr: float = 2e-3
    seed: int = 0
    label_weight: float = 0.0  # weight of the one-hot term where a true label is known


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train_head(features: np.ndarray, teacher_logits: np.ndarray, cfg: DistillConfig,
               labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (weight [1000, 2048], bias [1000]) of the student's linear layer.

    ``labels`` (-1 where unknown) adds a cross-entropy term weighted by cfg.label_weight.
    """
    rng = np.random.default_rng(cfg.seed)
    x = features.astype(np.float32)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-3
    x = (x - mu) / sd
    n, d = x.shape
    k = teacher_logits.shape[1]
    soft = softmax(teacher_logits.astype(np.float64) / cfg.temperature).astype(np.float32)
    w = np.zeros((d, k), np.float32)
    b = np.zeros(k, np.float32)
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    steps_per_epoch = -(-n // cfg.batch)
    total = cfg.epochs * steps_per_epoch
    bar = ProgressBar(cfg.epochs, "distill epochs")
    step = 0
    for _epoch in range(cfg.epochs):
        order = rng.permutation(n)
        for i in range(0, n, cfg.batch):
            idx = order[i:i + cfg.batch]
            xb = x[idx]
            z = xb @ w + b
            p_t = softmax(z / cfg.temperature)
            # d/dz of T^2 * KL(soft || softmax(z/T)) = T * (p_T - soft)
            dz = cfg.temperature * (p_t - soft[idx])
            if labels is not None and cfg.label_weight > 0:
                lab = labels[idx]
                known = lab >= 0
                if known.any():
                    p1 = softmax(z[known])
                    p1[np.arange(known.sum()), lab[known]] -= 1.0
                    dz[known] += cfg.label_weight * p1
            dz /= len(idx)
            gw = xb.T @ dz + cfg.weight_decay * w
            gb = dz.sum(axis=0)
            step += 1
            lr = cfg.lr * 0.5 * (1 + np.cos(np.pi * step / total))
            for p, g, m, v in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        bar.update()
    bar.close()
    weight = (w / sd[:, None]).T
    bias = b - (mu / sd) @ w
    return np.ascontiguousarray(weight, np.float32), bias.astype(np.float32)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Scalar temperature minimising the NLL of the true labels (golden-section on log T)."""
    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(z)), labels] - np.log(np.exp(z).sum(axis=1))).mean())

    lo, hi = np.log(0.2), np.log(5.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    for _ in range(60):
        if nll(a) < nll(b):
            hi, b = b, a
            a = hi - ratio * (hi - lo)
        else:
            lo, a = a, b
            b = lo + ratio * (hi - lo)
    return float(np.exp((lo + hi) / 2))
