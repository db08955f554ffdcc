"""Random transformations applied to the image before every gradient step.

If a pattern only excites the unit at one exact pixel alignment, a one-pixel
shift destroys it: that is what high-frequency "adversarial" noise is. By
asking the image to work after a random shift, scale and rotation at every
step, we only keep patterns that are robust to them, which are the ones a
person can see (Mordvintsev et al. 2015; Olah et al. 2017, "Transformation
robustness").

Every transform here is a *resampling*: output pixel ``(r, c)`` reads the
input at some point ``(r', c')``, bilinearly, and reads a constant ``fill``
(mid-gray) outside the input. So each transform is a coordinate map, a
chain of them is the composed map, and a whole chain is applied as *one*
sparse linear map ``x -> M x + fill``. The render loop back-propagates
through it with ``M.T`` exactly, in numpy, outside the model graph and
without TensorFlow's slow gather gradients.

Each transform has two halves, so it can be tested exactly:

- ``sample(rng)`` draws the random parameters (one draw for the whole batch);
- ``source(params, shape)`` gives the output shape and the map from output
  coordinates to input coordinates.

``transform(images, rng)`` does both and resamples a (B, H, W, C) array.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

GRAY = 127.5  # what lies outside the image: mid-gray in 0..255, like lucid's 0.5 in 0..1

CoordMap = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Resampling:
    """A linear resampling ``out = M @ in + fill_weight * fill`` on flattened (H*W) images.

    matrix: scipy CSR matrix, (out_h * out_w, in_h * in_w).
    fill_weight: (out_h * out_w,) how much of each output pixel comes from outside the input.
    """

    matrix: Any
    fill_weight: np.ndarray
    in_shape: tuple[int, int]
    out_shape: tuple[int, int]
    fill: float = GRAY

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Resample a (B, in_h, in_w, C) array to (B, out_h, out_w, C)."""
        images = np.asarray(images, dtype=np.float32)
        batch, channels = images.shape[0], images.shape[-1]
        if images.shape[1:3] != self.in_shape:
            raise ValueError(f"expected images of size {self.in_shape}, got {images.shape[1:3]}")
        flat = images.transpose(1, 2, 0, 3).reshape(-1, batch * channels)
        out = self.matrix @ flat + (self.fill_weight * self.fill)[:, np.newaxis]
        return out.reshape(*self.out_shape, batch, channels).transpose(2, 0, 1, 3).astype(np.float32)

    def backward(self, gradients: np.ndarray) -> np.ndarray:
        """The adjoint: d loss / d input from d loss / d output, (B, out_h, out_w, C) -> (B, in_h, in_w, C)."""
        gradients = np.asarray(gradients, dtype=np.float32)
        batch, channels = gradients.shape[0], gradients.shape[-1]
        flat = gradients.transpose(1, 2, 0, 3).reshape(-1, batch * channels)
        out = self.matrix.T @ flat
        return out.reshape(*self.in_shape, batch, channels).transpose(2, 0, 1, 3).astype(np.float32)


def resampling(source_rows: np.ndarray, source_cols: np.ndarray, in_shape: tuple[int, int],
               fill: float = GRAY) -> Resampling:
    """Bilinear resampling that reads the input at (``source_rows``, ``source_cols``).

    Coordinates are in pixel-index units (0 = centre of the first pixel), one
    pair per output pixel, arrays of the output's shape. Neighbours outside
    the input contribute ``fill``.
    """
    from scipy import sparse

    height, width = in_shape
    out_shape = tuple(int(s) for s in np.shape(source_rows))
    rows = np.asarray(source_rows, dtype=np.float64).ravel()
    cols = np.asarray(source_cols, dtype=np.float64).ravel()
    # Snap coordinates within 1e-9 of an integer, so exact shifts stay exact after float maths.
    rows = np.where(np.abs(rows - np.round(rows)) < 1e-9, np.round(rows), rows)
    cols = np.where(np.abs(cols - np.round(cols)) < 1e-9, np.round(cols), cols)
    r0, c0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    fr, fc = rows - r0, cols - c0
    out_index = np.arange(rows.size)
    entries_r, entries_c, entries_w = [], [], []
    fill_weight = np.zeros(rows.size)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c, w = r0 + dr, c0 + dc, wr * wc
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            keep = inside & (w > 0)
            entries_r.append(out_index[keep])
            entries_c.append((r * width + c)[keep])
            entries_w.append(w[keep])
            fill_weight += np.where(inside, 0.0, w)
    matrix = sparse.csr_matrix((np.concatenate(entries_w).astype(np.float32),
                                (np.concatenate(entries_r), np.concatenate(entries_c))),
                               shape=(rows.size, height * width))
    return Resampling(matrix, fill_weight.astype(np.float32), (int(height), int(width)), out_shape, fill)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _centre(size: int) -> float:
    return (size - 1) / 2.0


class Transform:
    """Base class. Subclasses define ``source``; random ones also ``sample``."""

    def sample(self, rng: np.random.Generator) -> Any:
        return None

    def source(self, params: Any, shape: tuple[int, int]) -> tuple[tuple[int, int], CoordMap]:
        """(output shape, map from output (rows, cols) arrays to input (rows, cols) arrays)."""
        raise NotImplementedError

    def resampling(self, params: Any, shape: tuple[int, int], fill: float = GRAY) -> Resampling:
        out_shape, to_source = self.source(params, shape)
        grid = np.meshgrid(np.arange(out_shape[0], dtype=np.float64),
                           np.arange(out_shape[1], dtype=np.float64), indexing="ij")
        return resampling(*to_source(*grid), shape, fill)

    def apply(self, images: np.ndarray, params: Any) -> np.ndarray:
        """Resample a (B, H, W, C) array with the given parameters."""
        images = np.asarray(images, dtype=np.float32)
        return self.resampling(params, images.shape[1:3])(images)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply(images, self.sample(rng))


class Pad(Transform):
    """Add ``width`` pixels of the fill colour (mid-gray) on every side, so borders are not special."""

    def __init__(self, width: int):
        self.width = _positive_int(width, "pad width")

    def source(self, params, shape):
        w = self.width
        return (shape[0] + 2 * w, shape[1] + 2 * w), lambda r, c: (r - w, c - w)

    def __repr__(self) -> str:
        return f"Pad({self.width})"


class Jitter(Transform):
    """Crop ``d`` pixels off in total, at a random offset 0..d along each axis: a random shift."""

    def __init__(self, d: int):
        self.d = _positive_int(d, "jitter")

    def sample(self, rng):
        return tuple(int(v) for v in rng.integers(0, self.d + 1, size=2))

    def source(self, params, shape):
        dy, dx = params
        if not (0 <= dy <= self.d and 0 <= dx <= self.d):
            raise ValueError(f"jitter offsets must be in 0..{self.d}, got {params}")
        if min(shape) <= self.d:
            raise ValueError(f"cannot jitter a {shape} image by {self.d} pixels")
        return (shape[0] - self.d, shape[1] - self.d), lambda r, c: (r + dy, c + dx)

    def __repr__(self) -> str:
        return f"Jitter({self.d})"


class RandomScale(Transform):
    """Resize by a factor drawn from ``scales``, about the centre (bilinear, no antialiasing)."""

    def __init__(self, scales: Sequence[float]):
        self.scales = [float(s) for s in scales]
        if not self.scales or min(self.scales) <= 0:
            raise ValueError(f"scales must be a non-empty list of positive factors, got {scales!r}")

    def sample(self, rng):
        return self.scales[int(rng.integers(len(self.scales)))]

    def source(self, scale, shape):
        out = (max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale)))
        ry, rx = shape[0] / out[0], shape[1] / out[1]
        # Half-pixel convention: pixel centres map through the scale about the image centre.
        return out, lambda r, c: ((r - _centre(out[0])) * ry + _centre(shape[0]),
                                  (c - _centre(out[1])) * rx + _centre(shape[1]))

    def __repr__(self) -> str:
        return f"RandomScale({self.scales[0]:g}..{self.scales[-1]:g}, {len(self.scales)} values)"


class RandomRotate(Transform):
    """Rotate about the centre by an angle in degrees drawn from ``angles``, counter-clockwise."""

    def __init__(self, angles: Sequence[float]):
        self.angles = [float(a) for a in angles]
        if not self.angles:
            raise ValueError("angles must be a non-empty list of degrees")

    def sample(self, rng):
        return self.angles[int(rng.integers(len(self.angles)))]

    def source(self, angle, shape):
        theta = math.radians(angle)
        cos, sin = math.cos(theta), math.sin(theta)
        cy, cx = _centre(shape[0]), _centre(shape[1])

        def to_source(r, c):
            dy, dx = r - cy, c - cx
            # Rows grow downwards, so rotating the picture counter-clockwise on screen
            # means reading the input at the output position rotated clockwise.
            return sin * dx + cos * dy + cy, cos * dx - sin * dy + cx

        return tuple(shape), to_source

    def __repr__(self) -> str:
        return f"RandomRotate({min(self.angles):g}..{max(self.angles):g} deg, {len(self.angles)} values)"


class CropOrPad(Transform):
    """Centre-crop or pad (with the fill colour) to exactly ``size`` = (height, width).

    The model's input size is fixed, so the render loop ends every chain with this.
    """

    def __init__(self, size: Sequence[int]):
        self.size = (int(size[0]), int(size[1]))

    def source(self, params, shape):
        # Integer offsets, so a crop or pad never interpolates.
        oy, ox = (shape[0] - self.size[0]) // 2, (shape[1] - self.size[1]) // 2
        return self.size, lambda r, c: (r + oy, c + ox)

    def __repr__(self) -> str:
        return f"CropOrPad({self.size})"


class Compose(Transform):
    """Several transforms in order, applied as one resampling (each draws its own parameters)."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"expected Transform objects, got {t!r}")

    def sample(self, rng):
        return [t.sample(rng) for t in self.transforms]

    def source(self, params, shape):
        maps = []
        for t, p in zip(self.transforms, params):
            shape, to_source = t.source(p, shape)
            maps.append(to_source)

        def to_source(r, c):
            for m in reversed(maps):  # output -> ... -> input
                r, c = m(r, c)
            return r, c

        return shape, to_source

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


def standard_transforms(scale: float = 1.0) -> list[Transform]:
    """Lucid's default chain (``lucid.optvis.transform.standard_transforms``), pixel sizes times ``scale``:

    pad 12 (gray) -> jitter 8 -> scale by one of 0.90, 0.92, ..., 1.10 ->
    rotate by one of -10..10 degrees (0 five extra times) -> jitter 4.
    """
    def px(n: int) -> int:
        return max(1, round(n * scale))

    return [Pad(px(12)), Jitter(px(8)), RandomScale([1 + (i - 5) / 50 for i in range(11)]),
            RandomRotate(list(range(-10, 11)) + [0] * 5), Jitter(px(4))]


__all__ = ["Compose", "CropOrPad", "GRAY", "Jitter", "Pad", "RandomRotate", "RandomScale", "Resampling",
           "Transform", "resampling", "standard_transforms"]
