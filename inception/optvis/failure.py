"""Spotting failed visualisations: images that stayed (nearly) gray.

Seed 004 ("Visualizing change in neural networks") found that some channels
fail to optimise and leave a featureless gray picture. Its filter: make a
grayscale copy of each image, measure the squared error between the colour
image and that copy, and drop the images left of the spike in the error
histogram. A gray image equals its own grayscale copy, so its error is ~0.

We report the root of the mean squared error (in 0..255 gray levels, so
the number reads as "how far, typically, is a pixel from its own gray"),
which orders images exactly as the seed's squared error does.
"""
from __future__ import annotations

import numpy as np

# ITU-R 601-2 luma, the weights of PIL's ``Image.convert("L")`` that the seed used.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])

# Finished renders closer than this to their own grayscale copy are flagged. Measured
# on EfficientNet-Lite0 (notebook 07): the sample photos score 18-50, finished renders
# of working channels mostly 5-30, an untouched start 0.2 (lucid's sd=0.01) or about 2.3
# (our sd=0.1). Black-and-white textures also land near 3: a flag means "look", not "bad".
# After only a few steps working channels are still faint: pick the threshold from
# the histogram's gap then, as seed 004 did.
GRAY_THRESHOLD = 4.0


def _as_batch(images) -> np.ndarray:
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3) or a batch (B, H, W, 3), got shape {array.shape}")
    return array


def grayscale(images) -> np.ndarray:
    """Luma copy of RGB images (0..255), repeated over the three channels, float64."""
    array = _as_batch(images)
    luma = array @ LUMA_WEIGHTS
    return np.repeat(luma[..., np.newaxis], 3, axis=-1)


def gray_score(images) -> np.ndarray:
    """Per image: RMS difference between the image and its grayscale copy, in 0..255 units.

    0 for any gray image; a photo scores tens. Accepts one image or a batch;
    always returns a 1-D array.
    """
    array = _as_batch(images)
    return np.sqrt(np.mean((array - grayscale(array)) ** 2, axis=(1, 2, 3)))


def is_gray_failure(images, threshold: float = GRAY_THRESHOLD) -> np.ndarray:
    """Boolean per image: is it within ``threshold`` gray levels of its own grayscale copy?"""
    return gray_score(images) < threshold


def gray_failure_rate(images, threshold: float = GRAY_THRESHOLD) -> float:
    """Share of images flagged by :func:`is_gray_failure`."""
    return float(np.mean(is_gray_failure(images, threshold)))


__all__ = ["GRAY_THRESHOLD", "LUMA_WEIGHTS", "gray_failure_rate", "gray_score", "grayscale", "is_gray_failure"]
