"""Heatmaps on photos: scaling, colouring, blending and the grids the notebooks show.

A saliency map's values are spread over orders of magnitude: a handful of
pixels hold the largest gradients. Scaled by its maximum, such a map looks
empty. :func:`scale_for_display` therefore divides by a high percentile
(99.5 by default) and clips, as is usual for saliency figures. The scores in
:mod:`inception.sanity` always use the raw maps.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np


def scale_for_display(heatmap, percentile: float = 99.5) -> np.ndarray:
    """A non-negative map scaled to 0..1 by its ``percentile``-th value (clipped above)."""
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim != 2:
        raise ValueError(f"expected a (height, width) heatmap, got shape {heatmap.shape}")
    if np.any(heatmap < 0):
        raise ValueError("heatmaps must be non-negative; reduce signed attributions first "
                         "(inception.saliency.reduce_channels)")
    top = np.percentile(heatmap, percentile)
    if top <= 0:
        top = heatmap.max()
    if top <= 0:
        return np.zeros_like(heatmap)
    return np.clip(heatmap / top, 0.0, 1.0)


def overlay(image, heatmap, alpha: float = 0.5, cmap: str = "jet", percentile: float = 99.5) -> np.ndarray:
    """Blend a coloured heatmap over an RGB image (0..255); returns RGB floats 0..1."""
    import matplotlib

    image = np.asarray(image, dtype=np.float64)
    heatmap = np.asarray(heatmap)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected an RGB image (height, width, 3), got shape {image.shape}")
    if heatmap.shape != image.shape[:2]:
        raise ValueError(f"the heatmap's shape {heatmap.shape} differs from the image's "
                         f"{image.shape[:2]}")
    colours = matplotlib.colormaps[cmap](scale_for_display(heatmap, percentile))[..., :3]
    return np.clip((1.0 - alpha) * image / 255.0 + alpha * colours, 0.0, 1.0)


def gradient_image(attribution, spread: float = 0.15) -> np.ndarray:
    """A signed RGB attribution as a picture: mean grey, ``spread`` per standard deviation.

    This is how guided backprop and deconvnet results are usually shown: the
    colours are the gradient's own channels, so edges and textures appear."""
    attribution = np.asarray(attribution, dtype=np.float64)
    if attribution.ndim != 3 or attribution.shape[-1] != 3:
        raise ValueError(f"expected an (H, W, 3) attribution, got shape {attribution.shape}")
    std = attribution.std()
    if std == 0:
        return np.full(attribution.shape, 0.5)
    return np.clip(0.5 + spread * (attribution - attribution.mean()) / std, 0.0, 1.0)


def _axes_grid(count: int, columns: int, size: float):
    import matplotlib.pyplot as plt

    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.3), squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[count:]:
        ax.axis("off")
    return fig, axes.ravel()


def _finish(fig, title: str | None):
    import matplotlib.pyplot as plt

    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()
    return fig


def plot_overlays(image, heatmaps: Mapping[str, np.ndarray], columns: int = 4, alpha: float = 0.5,
                  cmap: str = "jet", show_photo: bool = True, size: float = 2.8, title: str | None = None):
    """The photo, then each heatmap overlaid on it, titled by its key."""
    panels = ([("photo", None)] if show_photo else []) + list(heatmaps.items())
    fig, axes = _axes_grid(len(panels), columns, size)
    for ax, (name, heatmap) in zip(axes, panels):
        picture = np.asarray(image) / 255.0 if heatmap is None else overlay(image, heatmap, alpha, cmap)
        ax.imshow(picture)
        ax.set_title(name, fontsize=9)
    return _finish(fig, title)


def plot_maps(maps: Mapping[str, np.ndarray], columns: int = 4, cmap: str = "jet", size: float = 2.8,
              title: str | None = None):
    """Images side by side: ``(H, W)`` heatmaps (coloured, display-scaled) or ``(H, W, 3)``
    pictures in 0..1 (e.g. :func:`gradient_image`)."""
    fig, axes = _axes_grid(len(maps), columns, size)
    for ax, (name, picture) in zip(axes, maps.items()):
        picture = np.asarray(picture)
        if picture.ndim == 2:
            ax.imshow(scale_for_display(picture), cmap=cmap, vmin=0, vmax=1)
        else:
            ax.imshow(picture)
        ax.set_title(name, fontsize=9)
    return _finish(fig, title)
