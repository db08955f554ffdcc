"""Penalties on the image itself, subtracted from the objective during rendering.

Regularisers are the older fix for noisy visualisations (Mahendran & Vedaldi
2015; Yosinski et al. 2015): instead of changing *how* we search, they change
*what* we ask for, by penalising images that do not look natural. They act on
the 0..255 pixels (scaled to 0..1 so the weights do not depend on the range),
outside the model graph, so the render loop back-propagates them through
the parameterisation together with the objective's gradient.

Each regulariser returns one penalty per image, already multiplied by its
``weight``; the render loop maximises ``objective - sum(penalties)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


class Regularizer:
    """``reg(images) -> (B,)`` weighted penalty of a (B, H, W, 3) 0..255 image tensor."""

    def __init__(self, description: str, weight: float, penalty: Callable[["tf.Tensor"], "tf.Tensor"]):
        weight = float(weight)
        if not np.isfinite(weight) or weight < 0:
            raise ValueError(f"regulariser weight must be a finite number >= 0, got {weight}")
        self.description = description
        self.weight = weight
        self._penalty = penalty

    def __call__(self, images: "tf.Tensor") -> "tf.Tensor":
        return self.weight * self._penalty(images / 255.0)

    def __repr__(self) -> str:
        return f"{self.weight:g} * {self.description}"


def total_variation(weight: float = 1.0) -> Regularizer:
    """Mean absolute difference between neighbouring pixels (horizontal plus vertical).

    Flat regions cost nothing, edges cost their height, noise costs a lot.
    """
    def penalty(x):
        import tensorflow as tf
        dy = tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
        dx = tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3])
        return dx + dy

    return Regularizer("total_variation", weight, penalty)


def l1(weight: float = 1.0, center: float = 0.5) -> Regularizer:
    """Mean absolute distance of the pixels (in 0..1) from ``center`` (gray): keeps images sparse."""
    def penalty(x):
        import tensorflow as tf
        return tf.reduce_mean(tf.abs(x - center), axis=[1, 2, 3])

    return Regularizer(f"l1(center={center:g})", weight, penalty)


def l2(weight: float = 1.0, center: float = 0.5) -> Regularizer:
    """Mean squared distance of the pixels (in 0..1) from ``center``: discourages extreme values."""
    def penalty(x):
        import tensorflow as tf
        return tf.reduce_mean(tf.square(x - center), axis=[1, 2, 3])

    return Regularizer(f"l2(center={center:g})", weight, penalty)


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian of radius ``ceil(3 sigma)``."""
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    radius = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return (kernel / kernel.sum()).astype(np.float32)


def gaussian_blur(images: "tf.Tensor", sigma: float) -> "tf.Tensor":
    """Separable Gaussian blur of a (B, H, W, C) tensor, edges repeated (SAME size)."""
    import tensorflow as tf

    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    channels = int(images.shape[-1])
    x = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="SYMMETRIC")
    # Depthwise conv: each colour channel is blurred on its own.
    vertical = np.tile(kernel[:, None, None, None], (1, 1, channels, 1))
    horizontal = np.tile(kernel[None, :, None, None], (1, 1, channels, 1))
    x = tf.nn.depthwise_conv2d(x, vertical, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(x, horizontal, [1, 1, 1, 1], "VALID")


def blur(weight: float = 1.0, sigma: float = 1.0) -> Regularizer:
    """Half the mean squared distance to the image's own blurred copy (held fixed).

    Its gradient pulls every pixel towards its blurred value, the same as
    blurring the image a little after each step (Yosinski et al. 2015), but
    written as a penalty so it combines with the others.
    """
    def penalty(x):
        import tensorflow as tf
        target = tf.stop_gradient(gaussian_blur(x, sigma))
        return 0.5 * tf.reduce_mean(tf.square(x - target), axis=[1, 2, 3])

    return Regularizer(f"blur(sigma={sigma:g})", weight, penalty)


__all__ = ["Regularizer", "blur", "gaussian_blur", "gaussian_kernel", "l1", "l2", "total_variation"]
