"""Saliency maps: how much each input pixel moves a class logit.

All methods here start from one quantity, the gradient of a target (usually
a class logit, see :mod:`inception.targets`) with respect to the input image:

- :class:`VanillaGradient`, :class:`Deconvnet`, :class:`GuidedBackprop`: that
  gradient under the three ReLU backward rules of :mod:`inception.backprop`.
  The classes differ in one line, the rule's name.
- :class:`SmoothGrad` (Smilkov et al. 2017): the average gradient over noisy
  copies of the image, which cancels the pixel-level noise of the raw gradient.
- :class:`IntegratedGradients` (Sundararajan et al. 2017): the average gradient
  along the straight path from a baseline (black) to the image, times
  ``image - baseline``. Its attributions add up to ``target(image) -
  target(baseline)`` (completeness), up to the error of the ``steps``-point sum.

SmoothGrad and integrated gradients wrap any of the three gradient methods.
An attribution has the image's shape ``(H, W, 3)``; a heatmap reduces it to
``(H, W)`` (the input's spatial shape) with the method's channel reduction.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .backprop import ModelVariants, model_variants, target_gradients
from .config import capped_iterations
from .model import Inception
from .targets import Target

CHANNEL_REDUCTIONS = ("abs_max", "abs_sum")


def reduce_channels(attribution: np.ndarray, how: str = "abs_max") -> np.ndarray:
    """``(..., H, W, 3)`` -> ``(..., H, W)``, non-negative.

    ``abs_max``: the largest absolute value over the colour channels (Simonyan et
    al. 2014), for gradients, whose sign per channel means little.
    ``abs_sum``: the absolute value of the channel sum, for attributions that add
    up (integrated gradients), so opposite channels cancel as they do in the total.
    """
    attribution = np.asarray(attribution)
    if attribution.ndim < 3 or attribution.shape[-1] != 3:
        raise ValueError(f"expected an attribution with 3 colour channels last, got shape "
                         f"{attribution.shape}")
    if how == "abs_max":
        return np.abs(attribution).max(axis=-1)
    if how == "abs_sum":
        return np.abs(attribution.sum(axis=-1))
    raise ValueError(f"unknown channel reduction {how!r}; choose one of {', '.join(CHANNEL_REDUCTIONS)}")


def _single_image(net, image) -> np.ndarray:
    batch = net.prepare_images(image)
    if len(batch) != 1:
        raise ValueError(f"expected one image (H, W, 3), got a batch of {len(batch)}; "
                         "use attributions() for batches")
    return batch


class Saliency(ABC):
    """Base of the saliency methods: one image and a target in, an attribution out."""

    label = "saliency"
    channel_reduction = "abs_max"

    def __init__(self, model: Inception | ModelVariants):
        self.variants = model_variants(model)
        self.model = self.variants.model

    @abstractmethod
    def attributions(self, images, target: Target | int) -> np.ndarray:
        """Attributions ``(B, H, W, 3)`` for a batch of images."""

    def attribution(self, image, target: Target | int) -> np.ndarray:
        """The attribution ``(H, W, 3)`` of one image."""
        return self.attributions(_single_image(self.model, image), target)[0]

    def heatmap(self, image, target: Target | int) -> np.ndarray:
        """The non-negative ``(H, W)`` map of one image, for overlays and scores."""
        return reduce_channels(self.attribution(image, target), self.channel_reduction)

    def __call__(self, image, target: Target | int) -> np.ndarray:
        return self.heatmap(image, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model.name!r})"


class InputGradient(Saliency):
    """The gradient of the target with respect to the image, under one ReLU backward rule."""

    rule = "vanilla"

    def __init__(self, model: Inception | ModelVariants):
        super().__init__(model)
        self.net = self.variants.net(self.rule)

    def attributions(self, images, target: Target | int) -> np.ndarray:
        return target_gradients(self.net, target, images)[2]


class VanillaGradient(InputGradient):
    """Seed 002 rule b2: the true gradient (Simonyan et al. 2014)."""

    rule = "vanilla"
    label = "Gradient"


class Deconvnet(InputGradient):
    """Seed 002 rule b3: ReLU applied to the backward signal (Zeiler & Fergus 2014)."""

    rule = "deconvnet"
    label = "Deconvnet"


class GuidedBackprop(InputGradient):
    """Seed 002 rule b4: both masks (Springenberg et al. 2015)."""

    rule = "guided"
    label = "Guided backprop"


def _gradient_method(model_or_method) -> InputGradient:
    if isinstance(model_or_method, InputGradient):
        return model_or_method
    return VanillaGradient(model_or_method)


def _batches(count: int, batch_size: int):
    for start in range(0, count, batch_size):
        yield slice(start, min(start + batch_size, count))


def _check_positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive whole number, got {value!r}")
    return int(value)


class SmoothGrad(Saliency):
    """Average gradient over ``samples`` noisy copies of the image (Smilkov et al. 2017).

    ``noise_level`` is the noise's standard deviation as a share of the image's value
    range (the paper finds 10-20% best). The noise is drawn from ``seed`` on every
    call, so the same image always gets the same map. ``samples`` is capped by
    ``INCEPTION_MAX_ITERATIONS``.
    """

    def __init__(self, model_or_method: Inception | ModelVariants | InputGradient,
                 samples: int = 50, noise_level: float = 0.15, batch_size: int = 16, seed: int = 0):
        self.method = _gradient_method(model_or_method)
        super().__init__(self.method.variants)
        self.samples = capped_iterations(_check_positive(samples, "samples"))
        if not 0.0 <= noise_level <= 1.0:
            raise ValueError(f"noise_level is a share of the value range, 0..1; got {noise_level!r}")
        self.noise_level = float(noise_level)
        self.batch_size = _check_positive(batch_size, "batch_size")
        self.seed = seed
        self.channel_reduction = self.method.channel_reduction
        self.label = f"SmoothGrad ({self.method.label})"

    def attributions(self, images, target: Target | int) -> np.ndarray:
        batch = self.model.prepare_images(images)
        rng = np.random.default_rng(self.seed)
        results = []
        for image in batch:
            sigma = self.noise_level * float(image.max() - image.min())
            total = np.zeros_like(image)
            for part in _batches(self.samples, self.batch_size):
                noise = rng.normal(0.0, sigma, (part.stop - part.start, *image.shape))
                total += self.method.attributions((image + noise).astype(np.float32), target).sum(0)
            results.append(total / self.samples)
        return np.stack(results)


class IntegratedGradients(Saliency):
    """Gradients averaged along the path ``baseline -> image``, times ``image - baseline``
    (Sundararajan et al. 2017).

    ``baseline``: a number (every pixel; default 0, black) or an image. ``steps``
    midpoints of the path are used (capped by ``INCEPTION_MAX_ITERATIONS``).
    """

    channel_reduction = "abs_sum"

    def __init__(self, model_or_method: Inception | ModelVariants | InputGradient,
                 steps: int = 50, baseline: float | np.ndarray = 0.0, batch_size: int = 16):
        self.method = _gradient_method(model_or_method)
        super().__init__(self.method.variants)
        self.steps = capped_iterations(_check_positive(steps, "steps"))
        if np.ndim(baseline) == 0:
            baseline = np.full((*self.model.input_size, 3), float(baseline), dtype=np.float32)
        self.baseline = _single_image(self.model, baseline)[0]
        self.batch_size = _check_positive(batch_size, "batch_size")
        self.label = ("Integrated gradients" if type(self.method) is VanillaGradient
                      else f"Integrated gradients ({self.method.label})")

    def path_points(self) -> np.ndarray:
        """The interpolation coefficients: midpoints of ``steps`` equal intervals of [0, 1]."""
        return (np.arange(self.steps, dtype=np.float32) + 0.5) / self.steps

    def attributions(self, images, target: Target | int) -> np.ndarray:
        batch = self.model.prepare_images(images)
        alphas = self.path_points()
        results = []
        for image in batch:
            difference = image - self.baseline
            total = np.zeros_like(image)
            for part in _batches(len(alphas), self.batch_size):
                path = self.baseline + alphas[part, None, None, None] * difference
                total += self.method.attributions(path.astype(np.float32), target).sum(0)
            results.append(difference * total / len(alphas))
        return np.stack(results)
