"""Activation maximisation by plain gradient ascent: the classic tutorial's algorithm.

Start from near-gray noise, follow the gradient of one feature's mean
activation (or one class's logit) with respect to the input, normalise the
step by the gradient's standard deviation, clip to 0..255, repeat.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from .config import capped_iterations
from .model import Inception, get_model
from .plotting import plot_images


def get_conv_layer_names(model: Inception | None = None) -> list[str]:
    """Names of the model's convolution ops in graph order (94 for Inception v3)."""
    return list(get_model(model).conv_layer_names)


def initial_images(model: Inception, count: int = 1, seed: int | None = None) -> np.ndarray:
    """The seed's starting point: uniform noise in [128, 129) at the input size."""
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(count, *model.input_size, 3)).astype(np.float32) + 128.0


def gradient_ascent_step(images: np.ndarray, gradients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One update per image: step 1/(std(grad)+1e-8) along the gradient, then clip to 0..255."""
    step_sizes = 1.0 / (gradients.reshape(len(gradients), -1).std(axis=1) + 1e-8)
    images = np.clip(images + step_sizes[:, None, None, None] * gradients, 0.0, 255.0)
    return images.astype(np.float32), step_sizes


def warn_about_dead_features(model: Inception, conv_id: int | None, features: Sequence[int],
                             moved: np.ndarray) -> list[int]:
    """Warn about features whose gradient stayed exactly zero: their image is the starting noise.

    This happens when a ReLU before the feature never fires on a near-gray image (common in
    depthwise layers of EfficientNet-Lite0). Returns the dead features.
    """
    dead = [int(f) for f, m in zip(features, moved) if not m]
    if dead:
        layer = "the final layer" if conv_id is None else model.conv_layer_name(conv_id)
        warnings.warn(f"feature(s) {dead} of {layer} had a zero gradient at every step: nothing before "
                      "them responds to the gray-noise start, so their image is unchanged noise. "
                      "Try other features or layers, or the methods of notebook 07.", stacklevel=3)
    return dead


def optimize_features(conv_id: int | None, features: Sequence[int], num_iterations: int = 30,
                      model: Inception | None = None, seed: int | None = None,
                      show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Optimise one image per feature, all in one batch. Returns (images, objective history).

    ``history[i, b]`` is image ``b``'s objective before step ``i``.
    """
    model = get_model(model)
    features = [model.check_feature(conv_id, f) for f in features]
    num_iterations = capped_iterations(num_iterations)
    gradient_fn = model.feature_gradient(conv_id)
    images = initial_images(model, len(features), seed)
    feature_array = np.asarray(features, dtype=np.int32)
    history = np.zeros((num_iterations, len(features)), dtype=np.float32)
    moved = np.zeros(len(features), dtype=bool)
    steps = range(num_iterations)
    if show_progress:
        from tqdm.auto import tqdm
        steps = tqdm(steps, desc="gradient ascent", leave=False)
    for i in steps:
        objective, gradient = gradient_fn(images, feature_array)
        history[i] = objective
        moved |= np.any(gradient.reshape(len(features), -1) != 0, axis=1)
        images, _ = gradient_ascent_step(images, gradient)
    if num_iterations:
        warn_about_dead_features(model, conv_id, features, moved)
    return images, history


def optimize_image(conv_id: int | None = None, feature: int = 0, num_iterations: int = 30,
                   show_progress: bool = True, model: Inception | None = None,
                   seed: int | None = None) -> np.ndarray:
    """Find an image that maximises ``feature`` of conv layer ``conv_id`` by gradient ascent.

    Parameters
    ----------
    conv_id: index into :func:`get_conv_layer_names`, or None for the final layer (then
        ``feature`` is a class number and its logit is maximised).
    feature: channel of that layer (or class number).
    num_iterations: gradient ascent steps.
    show_progress: print, per step, the predicted class, the gradient's range, the step size
        and the loss, as the classic tutorial does.
    model: the model to use (default: the shared one, see :class:`Inception`).

    Returns an (H, W, 3) float array in [0, 255].
    """
    model = get_model(model)
    feature = model.check_feature(conv_id, feature)
    num_iterations = capped_iterations(num_iterations)
    gradient_fn = (model.feature_gradient_with_predictions(conv_id) if show_progress
                   else model.feature_gradient(conv_id))
    image = initial_images(model, 1, seed)
    features = np.array([feature], dtype=np.int32)
    moved = np.zeros(1, dtype=bool)
    for i in range(num_iterations):
        objective, gradient, *predictions = gradient_fn(image, features)
        moved |= np.any(gradient != 0)
        image, step_size = gradient_ascent_step(image, gradient)
        if show_progress:
            pred = predictions[0][0]
            pred_cls = int(np.argmax(pred))
            name = model.name_lookup.cls_to_name(pred_cls, only_first_name=True)
            print(f"Iteration: {i}")
            print(f"Predicted class-name: {name} (#{pred_cls}), score: {pred[pred_cls]:>7.2%}")
            print(f"Gradient min: {gradient.min():>9.6f}, max: {gradient.max():>9.6f}, "
                  f"stepsize: {step_size[0]:>9.2f}")
            print(f"Loss: {objective[0]:.6g}\n")
    if num_iterations:
        warn_about_dead_features(model, conv_id, [feature], moved)
    return image[0]


def optimize_images(conv_id: int | None = None, num_iterations: int = 30, show_size: int = 100,
                    model: Inception | None = None, features: Sequence[int] = range(1, 7),
                    seed: int | None = None, plot: bool = True) -> np.ndarray:
    """Optimise features 1..6 of a layer (one batch) and show them in a 2x3 grid.

    Returns the (6, H, W, 3) images.
    """
    model = get_model(model)
    if conv_id is None:
        print("Final fully-connected layer before softmax.")
    else:
        print("Layer:", model.conv_layer_name(conv_id))
    features = list(features)
    images, history = optimize_features(conv_id, features, num_iterations, model=model, seed=seed,
                                        show_progress=True)
    # A zero gradient leaves the image, hence the objective, exactly unchanged.
    dead = {f for f, first, last in zip(features, history[0], history[-1]) if first == last} \
        if len(history) > 1 else set()
    if plot:
        titles = [f"class {f}: {model.name_lookup.cls_to_name(f, True)}" if conv_id is None
                  else f"feature {f}" + (" (dead)" if f in dead else "") for f in features]
        layer = "final layer (classes)" if conv_id is None else f"conv_id {conv_id}: {model.conv_layer_name(conv_id)}"
        plot_images(images, show_size=show_size, titles=titles, title=f"{model.name}, {layer}")
    return images
