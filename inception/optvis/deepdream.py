"""DeepDream: start from a photo and amplify whatever a layer already sees in it.

The loop is gradient ascent on a *whole layer* objective
(:func:`~inception.optvis.objectives.layer`), with three tricks from the
original DeepDream notebook (Mordvintsev, Olah & Tyka, Google 2015):

- **octaves**: dream on a small copy of the photo first, then on larger
  ones, carrying the invented detail up each time. Small copies let a layer
  draw large structures; large ones add fine detail.
- **normalised steps**: each step moves pixels by ``step_size`` times the
  gradient divided by its mean absolute value, so the speed does not depend
  on the layer.
- **tiles with random shifts**: our model's input size is fixed (224 or 299),
  so a larger photo is cut into input-sized tiles and their gradients
  stitched together. A random shift of the whole image before cutting moves
  the seams every step, so no tile border shows in the result (the TF2
  DeepDream tutorial's "tiled gradients").

Defaults (4 octaves, scale 1.4, 10 steps per octave, step 1.5 gray levels)
are those of the original notebook.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..config import capped_iterations
from ..model import Inception, get_model
from .objectives import Objective, layer as layer_objective


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float (H, W, C) array to ``size`` = (height, width), no clipping.

    Unlike :func:`inception.resize_image` it keeps negative values, which the
    dream's *detail* (dream minus photo) needs.
    """
    import tensorflow as tf

    if tuple(image.shape[:2]) == tuple(size):
        return np.asarray(image, dtype=np.float32)
    out = tf.image.resize(np.asarray(image, dtype=np.float32)[np.newaxis], size, method="bilinear")
    return out.numpy()[0]


def octave_sizes(size: tuple[int, int], octaves: int, octave_scale: float) -> list[tuple[int, int]]:
    """Image sizes from the smallest octave to ``size``, each ``octave_scale`` times the previous."""
    if octaves < 1:
        raise ValueError(f"octaves must be >= 1, got {octaves}")
    if octave_scale <= 1:
        raise ValueError(f"octave_scale must be > 1, got {octave_scale}")
    return [(max(1, round(size[0] / octave_scale ** k)), max(1, round(size[1] / octave_scale ** k)))
            for k in reversed(range(octaves))]


def tiled_gradient(image: np.ndarray, gradient_fn: Callable, tile: int,
                   shift: tuple[int, int] = (0, 0)) -> tuple[float, np.ndarray]:
    """Objective and gradient of an image of any size, computed on ``tile`` x ``tile`` pieces.

    The image is rolled by ``shift`` (wrapping around), padded by reflection up
    to whole tiles, cut into tiles that go through the model as one batch, and
    the tile gradients are put back where they came from and rolled back.
    Returns (mean objective over tiles, gradient of the image's shape).
    """
    height, width = image.shape[:2]
    rolled = np.roll(image, shift, axis=(0, 1))
    rows, cols = -(-height // tile), -(-width // tile)  # ceiling division
    padded = np.pad(rolled, ((0, rows * tile - height), (0, cols * tile - width), (0, 0)), mode="symmetric")
    tiles = padded.reshape(rows, tile, cols, tile, 3).transpose(0, 2, 1, 3, 4).reshape(-1, tile, tile, 3)
    values, gradients = gradient_fn(np.ascontiguousarray(tiles, dtype=np.float32))
    stitched = gradients.reshape(rows, cols, tile, tile, 3).transpose(0, 2, 1, 3, 4)
    stitched = stitched.reshape(rows * tile, cols * tile, 3)[:height, :width]
    return float(np.mean(values)), np.roll(stitched, (-shift[0], -shift[1]), axis=(0, 1))


def dream_step(image: np.ndarray, gradient: np.ndarray, step_size: float) -> np.ndarray:
    """``image + step_size * gradient / mean(|gradient|)``, kept in 0..255."""
    scale = step_size / (np.abs(gradient).mean() + 1e-8)
    return np.clip(image + scale * gradient, 0.0, 255.0).astype(np.float32)


@dataclass
class DreamResult:
    """image: the dream (H, W, 3) in 0..255; history: mean objective per step; octaves: image per octave."""

    image: np.ndarray
    history: np.ndarray
    octaves: list[np.ndarray]
    objective: str


def deepdream(image: np.ndarray, objective: Objective | int | str, model: Inception | None = None, *,
              octaves: int = 4, octave_scale: float = 1.4, steps_per_octave: int = 10,
              step_size: float = 1.5, random_shift: bool = True, seed: int | None = 0,
              progress: bool = True) -> DreamResult:
    """Dream on a photo (H, W, 3, values 0..255, any size); see the module docstring.

    ``objective`` is an :class:`Objective`, or a layer (index or name) to use
    with :func:`~inception.optvis.objectives.layer`. ``steps_per_octave`` is
    capped by ``INCEPTION_MAX_ITERATIONS``. ``random_shift=False`` keeps the
    tiles fixed, to show the seams they leave.
    """
    model = get_model(model)
    photo = np.asarray(image, dtype=np.float32)
    if photo.ndim != 3 or photo.shape[-1] != 3:
        raise ValueError(f"expected one RGB photo (H, W, 3) with values 0..255, got shape {photo.shape}")
    if not isinstance(objective, Objective):
        objective = layer_objective(objective)
    gradient_fn = objective.gradient_function(model)
    steps = capped_iterations(steps_per_octave)
    tile = model.input_size[0]
    rng = np.random.default_rng(seed)

    sizes = octave_sizes(photo.shape[:2], octaves, octave_scale)
    history, per_octave = [], []
    detail = np.zeros((*sizes[0], 3), dtype=np.float32)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=steps * len(sizes), desc=f"deepdream {objective.description[:30]}", leave=False)
    for size in sizes:
        base = resize(photo, size)
        # Carry what earlier octaves invented, not the blurred photo they started from.
        dream = np.clip(base + resize(detail, size), 0.0, 255.0)
        for _ in range(steps):
            shift = (tuple(int(v) for v in rng.integers(-tile // 2, tile // 2 + 1, size=2))
                     if random_shift else (0, 0))
            value, gradient = tiled_gradient(dream, gradient_fn, tile, shift)
            dream = dream_step(dream, gradient, step_size)
            history.append(value)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(objective=f"{value:.3g}", size=f"{size[1]}x{size[0]}")
        detail = dream - base
        per_octave.append(dream.copy())
    if bar is not None:
        bar.close()
    return DreamResult(dream, np.asarray(history, dtype=np.float32), per_octave, objective.description)


__all__ = ["DreamResult", "deepdream", "dream_step", "octave_sizes", "resize", "tiled_gradient"]
