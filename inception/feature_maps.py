"""What each layer computes from one photo: its activations, channel by channel.

Seed 003 (Chollet's recipe) shows a photo's activations as an 8x8 grid of the
first 64 channels of a layer, each channel normalised on its own:
``(x - mean) / std * 128 + 128``, clipped to 0..255. Without the per-channel
normalisation a few strong channels would make all others black.

We read the activations *after* the non-linearity (the ``Relu``/``Relu6``
ops): that is what the next layer sees, and it is where zeros appear. A
channel that is zero at every position carried nothing about this photo; deep
layers have many of them (they are sparse), shallow ones almost none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .backprop import RELU_OP_TYPES
from .model import Inception


def rectified_layer_names(model: Inception) -> list[str]:
    """Names of the model's ReLU / ReLU6 ops in graph order, shallow to deep (only those the
    logits are computed from, so ops that other code added are left out)."""
    ancestors, stack = set(), [model.y_logits.op]
    while stack:
        op = stack.pop()
        if op.name not in ancestors:
            ancestors.add(op.name)
            stack.extend(i.op for i in op.inputs)
    return [op.name for op in model.graph.get_operations()
            if op.type in RELU_OP_TYPES and op.name in ancestors]


def spread_layers(names: Sequence[str], count: int) -> list[str]:
    """``count`` names spread evenly from the first to the last (shallow to deep)."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive whole number, got {count!r}")
    if not names:
        raise ValueError("no layers to choose from")
    count = min(int(count), len(names))
    return [names[int(i)] for i in np.unique(np.round(np.linspace(0, len(names) - 1, count)))]


def _check_activation(activation) -> np.ndarray:
    activation = np.asarray(activation, dtype=np.float32)
    if activation.ndim != 3:
        raise ValueError(f"expected one image's activation (height, width, channels), got shape "
                         f"{activation.shape}; take [0] of a batch")
    return activation


def dead_channels(activation) -> np.ndarray:
    """``(C,)`` booleans: channels that are exactly zero at every position."""
    activation = _check_activation(activation)
    return ~np.any(activation != 0, axis=(0, 1))


def normalize_channels(activation) -> np.ndarray:
    """Seed 003's display scaling, per channel: ``(x - mean) / std * 128 + 128`` clipped to 0..255.

    A channel with no variation (for example all zero) becomes 0 instead of NaN.
    Returns float32 ``(H, W, C)`` with values 0..255.
    """
    activation = _check_activation(activation)
    mean = activation.mean(axis=(0, 1))
    std = activation.std(axis=(0, 1))
    flat = std == 0
    scaled = (activation - mean) / np.where(flat, 1.0, std) * 128.0 + 128.0
    scaled[..., flat] = 0.0
    return np.clip(scaled, 0.0, 255.0).astype(np.float32)


def channel_grid(activation, channels: int = 64, columns: int = 8) -> np.ndarray:
    """The first ``channels`` channels, normalised, tiled ``columns`` per row into one 2-D
    array. Channels that are zero everywhere are NaN, so a plot can mark them."""
    activation = _check_activation(activation)
    height, width, count = activation.shape
    channels = min(int(channels), count)
    if channels < 1 or columns < 1:
        raise ValueError(f"channels and columns must be positive, got {channels} and {columns}")
    rows = -(-channels // columns)
    grid = np.full((rows * height, columns * width), np.nan, dtype=np.float32)
    normalized = normalize_channels(activation[..., :channels])
    dead = dead_channels(activation[..., :channels])
    for c in range(channels):
        row, column = divmod(c, columns)
        cell = np.full((height, width), np.nan, dtype=np.float32) if dead[c] else normalized[..., c]
        grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = cell
    return grid


@dataclass(frozen=True)
class LayerSparsity:
    """How much of one layer's output is zero for one image."""

    layer: str
    channels: int
    dead_channels: int        # zero at every position
    zero_fraction: float      # share of all values that are zero

    @property
    def dead_fraction(self) -> float:
        return self.dead_channels / self.channels


def sparsity_profile(model: Inception, image, layers: Sequence[str] | None = None) -> list[LayerSparsity]:
    """:class:`LayerSparsity` of each rectified layer (default: all of them) for one image."""
    layers = list(layers) if layers is not None else rectified_layer_names(model)
    batch = model.prepare_images(image)
    if len(batch) != 1:
        raise ValueError(f"expected one image, got a batch of {len(batch)}")
    profile = []
    for name, activation in zip(layers, model.activations(batch, layers)):
        activation = activation[0]
        profile.append(LayerSparsity(name, int(activation.shape[-1]),
                                     int(dead_channels(activation).sum()),
                                     float(np.mean(activation == 0))))
    return profile


# ------------------------------------------------------------------ plots
def _grid_colormap():
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("black")  # dead channels
    return cmap


def _grid_picture(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """RGB picture of a channel grid: viridis colours, dead channels black, and white gaps
    between the cells (gaps rather than lines drawn on top, which would hide edge pixels)."""
    rows, columns = grid.shape[0] // height, grid.shape[1] // width
    gap = max(1, height // 16)
    colours = _grid_colormap()(grid / 255.0)[..., :3]  # NaN -> the "bad" colour, black
    picture = np.ones((rows * (height + gap) - gap, columns * (width + gap) - gap, 3))
    for r in range(rows):
        for c in range(columns):
            picture[r * (height + gap):r * (height + gap) + height,
                    c * (width + gap):c * (width + gap) + width] = \
                colours[r * height:(r + 1) * height, c * width:(c + 1) * width]
    return picture


def plot_channel_grid(activation, title: str, channels: int = 64, columns: int = 8, ax=None):
    """One layer's channel grid (seed 003's figure); dead channels are black."""
    import matplotlib.pyplot as plt

    activation = _check_activation(activation)
    height, width = activation.shape[:2]
    picture = _grid_picture(channel_grid(activation, channels, columns), height, width)
    standalone = ax is None
    if standalone:
        _, ax = plt.subplots(figsize=(8, 8 * picture.shape[0] / picture.shape[1] + 0.4))
    ax.imshow(picture, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title)
    if standalone:
        plt.show()
    return ax


def plot_layers_side_by_side(activations: dict[str, np.ndarray], channels: int = 5):
    """``channels`` channels (columns) of several layers (rows), each normalised on its own."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(activations), channels, figsize=(2.0 * channels, 2.1 * len(activations)),
                             squeeze=False)
    cmap = _grid_colormap()
    for row, (name, activation) in enumerate(activations.items()):
        activation = _check_activation(activation)
        normalized = normalize_channels(activation)
        dead = dead_channels(activation)
        for c, ax in enumerate(axes[row]):
            cell = np.full(activation.shape[:2], np.nan) if dead[c] else normalized[..., c]
            ax.imshow(cell, cmap=cmap, vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}\nchannel {c}", fontsize=7)
    fig.tight_layout()
    plt.show()
    return fig


def plot_sparsity(profile: Sequence[LayerSparsity], title: str = ""):
    """Dead channels and zero values per layer, shallow to deep."""
    import matplotlib.pyplot as plt

    depth = np.arange(len(profile))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    top.bar(depth, [p.dead_channels for p in profile], color="tab:purple")
    top.set_ylabel("all-zero channels")
    if title:
        top.set_title(title)
    bottom.plot(depth, [p.dead_fraction for p in profile], "o-", label="all-zero channels")
    bottom.plot(depth, [p.zero_fraction for p in profile], "s-", label="zero values")
    bottom.set_ylabel("share of the layer")
    bottom.set_xlabel("rectified layer, shallow to deep")
    bottom.set_ylim(0, 1)
    bottom.legend()
    step = max(1, len(profile) // 12)
    bottom.set_xticks(depth[::step])
    bottom.set_xticklabels([p.layer for p in profile][::step], rotation=60, ha="right", fontsize=7)
    fig.tight_layout()
    plt.show()
    return fig
