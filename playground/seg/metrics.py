"""Segmentation metrics and batched inference (pure functions over numpy / torch).

- Dice: ``2 |P ∩ G| / (|P| + |G|)`` (1 when both are empty).
- IoU (Jaccard): ``|P ∩ G| / |P ∪ G|`` (1 when both are empty).
- Pixel error: the fraction of pixels whose predicted label differs from the ground truth.
- mIoU: the mean of the per-class IoU over the classes present in the prediction or the truth.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """``2|P∩G| / (|P|+|G|)`` of two boolean masks; 1.0 if both are empty."""
    p, g = pred.astype(bool), gt.astype(bool)
    den = p.sum() + g.sum()
    return 1.0 if den == 0 else float(2 * (p & g).sum() / den)


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """``|P∩G| / |P∪G|`` of two boolean masks; 1.0 if both are empty."""
    p, g = pred.astype(bool), gt.astype(bool)
    union = (p | g).sum()
    return 1.0 if union == 0 else float((p & g).sum() / union)


def confusion(pred: np.ndarray, gt: np.ndarray, k: int) -> np.ndarray:
    """``k x k`` confusion matrix, rows = truth, columns = prediction."""
    idx = gt.astype(np.int64).ravel() * k + pred.astype(np.int64).ravel()
    return np.bincount(idx, minlength=k * k).reshape(k, k)


def iou_from_confusion(cm: np.ndarray) -> np.ndarray:
    """Per-class IoU ``TP / (TP + FP + FN)``; NaN for classes absent from truth and prediction."""
    tp = np.diag(cm).astype(np.float64)
    den = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, tp / den, np.nan)


@torch.no_grad()
def predict_logits(model: torch.nn.Module, x: np.ndarray | torch.Tensor, batch: int = 16,
                   tile: int | None = None) -> torch.Tensor:
    """Logits for ``x`` (N, C, H, W) float, in eval mode, batched; fp32 on CPU.

    ``tile``: run each image in non-overlapping ``tile x tile`` windows (the U-Net pads each
    window itself), which bounds memory for large inputs.
    """
    model.eval()
    xt = torch.as_tensor(x, dtype=torch.float32)
    outs = []
    for i in range(0, xt.shape[0], batch):
        xb = xt[i:i + batch]
        if tile is None or max(xb.shape[-2:]) <= tile:
            outs.append(model(xb))
            continue
        rows = []
        for top in range(0, xb.shape[-2], tile):
            cols = [model(xb[..., top:top + tile, left:left + tile])
                    for left in range(0, xb.shape[-1], tile)]
            rows.append(torch.cat(cols, dim=-1))
        outs.append(torch.cat(rows, dim=-2))
    return torch.cat(outs)


def binary_prob(logits: torch.Tensor) -> np.ndarray:
    """Sigmoid of single-channel logits (N, 1, H, W) -> (N, H, W) float32."""
    return torch.sigmoid(logits[:, 0]).float().numpy()


def class_prob(logits: torch.Tensor) -> np.ndarray:
    """Softmax over classes (N, K, H, W) -> (N, K, H, W) float32."""
    return F.softmax(logits.float(), dim=1).numpy()


def lgg_report(prob: np.ndarray, gt: np.ndarray, patients: np.ndarray,
               threshold: float = 0.5) -> dict:
    """LGG metrics on held-out slices.

    - ``slice_dice_tumour``: mean per-slice Dice over slices whose truth has tumour;
    - ``fp_rate_empty``: fraction of tumour-free slices on which any pixel is predicted tumour;
    - ``patient_dice_3d``: mean over patients of the Dice of the whole 3-D volume;
    - ``patient_dice``: each patient's 3-D Dice.
    """
    pred = prob >= threshold
    has = gt.reshape(len(gt), -1).any(1)
    per_slice = [dice(p, g) for p, g in zip(pred[has], gt[has])]
    fp = pred[~has].reshape(int((~has).sum()), -1).any(1)
    per_patient = {str(pid): dice(pred[patients == pid], gt[patients == pid])
                   for pid in sorted(set(patients.tolist()))}
    return {
        "slice_dice_tumour": float(np.mean(per_slice)) if per_slice else float("nan"),
        "n_tumour_slices": int(has.sum()),
        "fp_rate_empty": float(fp.mean()) if len(fp) else float("nan"),
        "n_empty_slices": int((~has).sum()),
        "patient_dice_3d": float(np.mean(list(per_patient.values()))),
        "n_patients": len(per_patient),
        "patient_dice": per_patient,
    }


def em_report(prob: np.ndarray, membrane: np.ndarray, threshold: float = 0.5) -> dict:
    """EM metrics: pixel error, membrane IoU (the positive class), cell-interior IoU."""
    pred = prob >= threshold
    return {
        "pixel_error": float((pred != membrane).mean()),
        "iou_membrane": iou(pred, membrane),
        "iou_interior": iou(~pred, ~membrane),
        "dice_membrane": dice(pred, membrane),
        "n_images": int(len(prob)),
    }


def miou_report(pred: np.ndarray, gt: np.ndarray, k: int, names: list[str] | None = None) -> dict:
    """Semantic metrics: mIoU over the ``k`` classes (all present here), per-class IoU, pixel acc."""
    cm = confusion(pred, gt, k)
    ious = iou_from_confusion(cm)
    names = names or [str(i) for i in range(k)]
    return {
        "miou": float(np.nanmean(ious)),
        "miou_digits_only": float(np.nanmean(ious[1:])),
        "pixel_accuracy": float(np.diag(cm).sum() / cm.sum()),
        "iou_per_class": {names[i]: (None if np.isnan(v) else float(v)) for i, v in enumerate(ious)},
    }
