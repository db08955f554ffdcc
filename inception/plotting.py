"""Plotting helpers named as in the classic tutorial."""
from __future__ import annotations

import numpy as np


def normalize_image(x: np.ndarray) -> np.ndarray:
    """Rescale so the smallest value is 0.0 and the largest 1.0 (a flat image becomes all zeros)."""
    x = np.asarray(x, dtype=np.float64)
    x_min, x_max = x.min(), x.max()
    if x_max - x_min < 1e-12:
        return np.zeros_like(x)
    return (x - x_min) / (x_max - x_min)


def plot_image(image: np.ndarray, title: str | None = None, ax=None):
    """Show one image, min-max normalised, without ticks."""
    import matplotlib.pyplot as plt

    standalone = ax is None
    if standalone:
        _, ax = plt.subplots()
    ax.imshow(normalize_image(image), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if standalone:
        plt.show()
    return ax


def plot_images(images, show_size: int = 100, titles=None, nrows: int = 2, ncols: int = 3,
                title: str | None = None):
    """Show up to six images in a 2x3 grid, each cropped to its top-left ``show_size`` pixels,
    min-max normalised and smoothed with spline16 interpolation."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected a batch of RGB images (N, H, W, 3), got shape {images.shape}")
    if isinstance(show_size, bool) or not isinstance(show_size, (int, np.integer)) or show_size < 1:
        raise ValueError(f"show_size must be a positive number of pixels, got {show_size!r}")
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 2.2 * nrows))
    fig.subplots_adjust(hspace=0.15, wspace=0.1)
    if title:
        fig.suptitle(title, fontsize=10)
    for i, ax in enumerate(np.ravel(axes)):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(images):
            ax.axis("off")
            continue
        ax.imshow(normalize_image(images[i, :show_size, :show_size, :]), interpolation="spline16")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    plt.show()
    return fig
