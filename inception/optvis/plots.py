"""Figures and text tables for notebooks 07 and 08."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..plotting import normalize_image


def show_grid(rows: Sequence[np.ndarray], row_titles: Sequence[str] | None = None,
              col_titles: Sequence[str] | None = None, size: float = 1.7, stretch: bool = False,
              title: str | None = None):
    """Show image batches as the rows of one figure.

    Each row is a (N, H, W, 3) array in 0..255, shown as it is (``stretch=False``:
    what the optimisation really produced) or min-max stretched per image like
    :func:`inception.plot_image` (``stretch=True``). Returns the figure.
    """
    import matplotlib.pyplot as plt

    rows = [np.asarray(r) for r in rows]
    for r in rows:
        if r.ndim != 4 or r.shape[-1] != 3:
            raise ValueError(f"each row must be a batch of RGB images (N, H, W, 3), got shape {r.shape}")
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(size * ncols + (1.2 if row_titles else 0), size * len(rows)),
                             squeeze=False)
    for i, row in enumerate(rows):
        for j, ax in enumerate(axes[i]):
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row):
                ax.axis("off")
                continue
            image = normalize_image(row[j]) if stretch else np.clip(row[j], 0, 255) / 255.0
            ax.imshow(image, interpolation="lanczos")
            if i == 0 and col_titles is not None:
                ax.set_title(str(col_titles[j]), fontsize=8)
        if row_titles is not None:
            axes[i][0].set_ylabel(str(row_titles[i]), fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()
    return fig


def text_table(headers: Sequence[str], rows: Sequence[Sequence], formats: Sequence[str] | None = None) -> str:
    """A plain-text table with aligned columns (``formats`` are ``format()`` specs per column)."""
    formats = list(formats) if formats is not None else [""] * len(headers)
    if len(formats) != len(headers) or any(len(r) != len(headers) for r in rows):
        raise ValueError("every row and the formats need one entry per header")
    cells = [[str(h) for h in headers]]
    cells += [[format(v, f) if isinstance(v, (int, float, np.number)) else str(v)
               for v, f in zip(row, formats)] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


__all__ = ["show_grid", "text_table"]
