"""How much of an image's detail is at high spatial frequencies.

The seed's plain gradient ascent fills the image with pixel-level noise.
Noise is easy to measure in the Fourier domain: its energy sits at high
frequencies, while natural images put most of theirs at low frequencies
(amplitude falling like 1/f). We report the share of spectral energy above
half the Nyquist frequency, that is above 0.25 cycles per pixel (radially).

Reference points: white noise puts about 80% of its energy there (the area
of the frequency square outside a circle of radius 0.25); photos a few percent.
"""
from __future__ import annotations

import numpy as np

NYQUIST = 0.5  # cycles per pixel


def radial_frequency(size: tuple[int, int]) -> np.ndarray:
    """|f| in cycles per pixel on the ``fft2`` grid of an image of ``size`` (height, width)."""
    fy = np.fft.fftfreq(size[0])[:, np.newaxis]
    fx = np.fft.fftfreq(size[1])[np.newaxis, :]
    return np.sqrt(fx ** 2 + fy ** 2)


def power_spectrum(images) -> np.ndarray:
    """|FFT|^2 of each image, summed over colour channels, with each channel's mean removed.

    Returns (B, H, W). The mean (DC term) says nothing about detail, so it is dropped.
    """
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4:
        raise ValueError(f"expected an image (H, W, C) or a batch (B, H, W, C), got shape {array.shape}")
    centred = array - array.mean(axis=(1, 2), keepdims=True)
    return (np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2).sum(axis=-1)


def high_frequency_share(images, cutoff: float = 0.5) -> np.ndarray:
    """Per image: energy above ``cutoff`` x Nyquist divided by all energy (DC excluded).

    A flat image has no energy at all; its share is reported as 0.
    """
    power = power_spectrum(images)
    high = radial_frequency(power.shape[1:]) > cutoff * NYQUIST
    total = power.sum(axis=(1, 2))
    share = power[:, high].sum(axis=1) / np.where(total > 0, total, 1.0)
    return np.where(total > 0, share, 0.0)


def radial_profile(images, bins: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Mean power in ``bins`` rings of radial frequency 0..Nyquist: (bin centres, (B, bins) power)."""
    power = power_spectrum(images)
    radius = radial_frequency(power.shape[1:])
    edges = np.linspace(0.0, NYQUIST, bins + 1)
    which = np.digitize(radius, edges) - 1
    profile = np.zeros((len(power), bins))
    for b in range(bins):
        mask = which == b
        if mask.any():
            profile[:, b] = power[:, mask].mean(axis=1)
    return (edges[:-1] + edges[1:]) / 2, profile


__all__ = ["NYQUIST", "high_frequency_share", "power_spectrum", "radial_frequency", "radial_profile"]
