#!/usr/bin/env python
"""Draw the activation-maximisation flowchart used by notebook 03.

    python tools/draw_flowchart.py            # writes images/visual_analysis_flowchart.png

Forward pass along the top (image -> CNN layers -> one feature -> loss), the
gradient flowing back along the bottom, and the update that closes the loop.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "images" / "visual_analysis_flowchart.png"

WIDTH, HEIGHT = 10.0, 4.6          # figure size in inches = data units of the drawing
FORWARD = "#2b6cb0"                # blue: forward pass
BACKWARD = "#c53030"               # red: gradient flowing back
UPDATE = "#2f855a"                 # green: the image update
TEXT = "#1a202c"
MUTED = "#4a5568"


def box(ax, x, y, w, h, face, edge, radius=0.12):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={radius}",
                                facecolor=face, edgecolor=edge, linewidth=1.6))


def arrow(ax, start, end, color, style="-|>", dashed=False, connection="arc3", width=2.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=color,
                                 linewidth=width, linestyle=(0, (5, 3)) if dashed else "-",
                                 connectionstyle=connection, shrinkA=0, shrinkB=0))


def noise_image(ax, x, y, size, seed=3):
    """A patch of min-max normalised uniform noise, as plot_image shows the starting image."""
    rng = np.random.default_rng(seed)
    pixels = rng.uniform(size=(14, 14, 3))
    ax.imshow(pixels, extent=(x, x + size, y, y + size), interpolation="nearest", zorder=3)
    ax.add_patch(Rectangle((x, y), size, size, fill=False, edgecolor=TEXT, linewidth=1.2, zorder=4))


def cnn_layers(ax, x0, y_mid, chosen=3):
    """Slabs that get smaller and deeper, like the spatial size and channel count of a CNN."""
    heights = [1.45, 1.25, 1.05, 0.85, 0.70, 0.58]
    depths = [0.10, 0.14, 0.18, 0.22, 0.26, 0.30]
    x = x0
    centres = []
    chosen_right = x
    for i, (h, d) in enumerate(zip(heights, depths)):
        face = "#fbd38d" if i == chosen else "#bee3f8"
        edge = "#b7791f" if i == chosen else FORWARD
        # layers after the chosen one are not needed for the loss: drawn faded
        alpha = 0.3 if i > chosen else 1.0
        front = Polygon([(x, y_mid - h / 2), (x + d, y_mid - h / 2 + 0.08),
                         (x + d, y_mid + h / 2 + 0.08), (x, y_mid + h / 2)],
                        closed=True, facecolor=face, edgecolor=edge, linewidth=1.3, zorder=2,
                        alpha=alpha)
        ax.add_patch(front)
        centres.append((x + d / 2, y_mid + h / 2 + 0.08))
        if i == chosen:
            chosen_right = x + d
        x += d + 0.16
    return x - 0.16, chosen_right, centres


def feature_maps(ax, x, y, chosen=0, count=5):
    """A stack of channel maps of the chosen layer; the chosen one (in front) is highlighted."""
    rng = np.random.default_rng(7)
    size, offset = 0.62, 0.11
    for i in reversed(range(count)):
        left, bottom = x + i * offset, y + i * offset
        if i == chosen:
            activation = rng.uniform(size=(6, 6)) ** 2
            ax.imshow(activation, extent=(left, left + size, bottom, bottom + size), cmap="YlOrBr",
                      interpolation="nearest", zorder=10 + count - i)
            ax.add_patch(Rectangle((left, bottom), size, size, fill=False, edgecolor="#b7791f",
                                   linewidth=2.0, zorder=10 + count - i))
        else:
            ax.add_patch(Rectangle((left, bottom), size, size, facecolor="#edf2f7", edgecolor=MUTED,
                                   linewidth=0.8, zorder=10 + count - i))
    return x + (count - 1) * offset + size


def draw(path: Path = OUTPUT, dpi: int = 100) -> Path:
    fig = plt.figure(figsize=(WIDTH, HEIGHT), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.set_aspect("equal")
    ax.axis("off")

    top = 3.05       # centre line of the forward pass
    bottom = 0.85    # centre line of the backward pass
    label = dict(ha="center", va="center", color=TEXT, fontsize=10.5)
    small = dict(ha="center", va="center", color=MUTED, fontsize=9)

    ax.text(WIDTH / 2, HEIGHT - 0.22, "Activation maximisation: change the image, not the network",
            ha="center", va="center", fontsize=13, fontweight="bold", color=TEXT)

    # 1. the input image
    img_x, img_size = 0.75, 1.2
    noise_image(ax, img_x, top - img_size / 2, img_size)
    ax.text(img_x + img_size / 2, top + img_size / 2 + 0.25, "Input image", **label)
    ax.text(img_x + img_size / 2, top - img_size / 2 - 0.22, "starts as noise", **small)

    # 2. the network
    cnn_x = 2.45
    arrow(ax, (img_x + img_size + 0.1, top), (cnn_x - 0.12, top), FORWARD)
    cnn_end, chosen_right, centres = cnn_layers(ax, cnn_x, top, chosen=3)
    ax.text((cnn_x + cnn_end) / 2, top + 1.02, "CNN layers (frozen)", **label)
    ax.text(centres[3][0], top - 0.72, "layer conv_id", ha="center", va="center", fontsize=9,
            color="#975a16", fontweight="bold")

    # 3. the chosen feature (one channel of the chosen layer)
    fmap_x = 5.25
    arrow(ax, (chosen_right + 0.06, top + 0.04), (fmap_x - 0.1, top + 0.04), FORWARD)
    fmap_end = feature_maps(ax, fmap_x, top - 0.52)
    ax.text((fmap_x + fmap_end) / 2, top + 1.02, "Chosen feature", **label)
    ax.text((fmap_x + fmap_end) / 2, top - 0.78, "channel number feature", ha="center", va="center",
            fontsize=9, color="#975a16", fontweight="bold")

    # 4. the loss
    loss_x, loss_w, loss_h = 7.15, 2.4, 1.05
    arrow(ax, (fmap_end + 0.1, top), (loss_x - 0.08, top), FORWARD)
    box(ax, loss_x, top - loss_h / 2, loss_w, loss_h, "#ebf8ff", FORWARD)
    ax.text(loss_x + loss_w / 2, top + 0.2, "Loss", fontweight="bold", **label)
    ax.text(loss_x + loss_w / 2, top - 0.18, "mean of that channel\nover all positions", **small)

    # 5. the gradient flows back along the bottom
    grad_y = bottom
    arrow(ax, (loss_x + loss_w / 2, top - loss_h / 2 - 0.06), (loss_x + loss_w / 2, grad_y + 0.05),
          BACKWARD, dashed=True)
    arrow(ax, (loss_x + loss_w / 2, grad_y), (2.75, grad_y), BACKWARD, dashed=True)
    ax.text(5.45, grad_y + 0.3, "Gradient of the loss with respect to every input pixel",
            ha="center", va="center", fontsize=10.5, color=BACKWARD, fontweight="bold")
    ax.text(5.45, grad_y - 0.3, "by the chain rule, back through the layers below conv_id (tf.gradients)",
            ha="center", va="center", fontsize=9, color=BACKWARD)

    # 6. the update, then back to the image
    upd_w, upd_h = 2.6, 1.05
    upd_x = img_x + img_size / 2 - upd_w / 2
    box(ax, upd_x, grad_y - upd_h / 2, upd_w, upd_h, "#f0fff4", UPDATE)
    ax.text(upd_x + upd_w / 2, grad_y + 0.24, "Update image", fontweight="bold", **label)
    ax.text(upd_x + upd_w / 2, grad_y - 0.17, "image += grad / std(grad)\nclip to 0..255",
            ha="center", va="center", color=MUTED, fontsize=9, family="monospace")
    arrow(ax, (img_x + img_size / 2, grad_y + upd_h / 2 + 0.06),
          (img_x + img_size / 2, top - img_size / 2 - 0.42), UPDATE)
    ax.text(img_x + img_size / 2 + 0.12, (grad_y + upd_h / 2 + top - img_size / 2 - 0.42) / 2,
            "repeat num_iterations times", ha="left", va="center", fontsize=9.5, color=UPDATE, fontweight="bold",
            style="italic")

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    print("wrote", draw(args.output))


if __name__ == "__main__":
    main()
