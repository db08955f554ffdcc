"""Feature visualisation a person can read: objectives, parameterisations, transforms, render.

The pieces follow the Distill article "Feature Visualization" (Olah,
Mordvintsev & Schubert 2017) and the design of the lucid library:

- :mod:`~inception.optvis.objectives`: *what* to maximise (channel, neuron,
  layer, class logit, direction, diversity), composable with ``+ - *``;
- :mod:`~inception.optvis.param`: *how the image is described* (pixels, or
  1/f Fourier spectra of decorrelated colours through a sigmoid);
- :mod:`~inception.optvis.transform` and :mod:`~inception.optvis.regularizers`:
  robustness to jitter, scale and rotation, and penalties on the image;
- :mod:`~inception.optvis.render`: the loop that ties them together;
- :mod:`~inception.optvis.failure` and :mod:`~inception.optvis.metrics`:
  measuring the result (near-gray failures, high-frequency energy);
- :mod:`~inception.optvis.deepdream`: DeepDream with octaves and tiles.

The functions ``render`` and ``deepdream`` share their modules' names; import
the modules' helpers with ``from inception.optvis.render import ...``.

>>> from inception import optvis
>>> result = optvis.render(optvis.channel(24, [0, 1, 2, 3]), model, steps=256)
>>> result.images.shape
(4, 224, 224, 3)
"""
from . import failure, metrics, objectives, param, regularizers, transform
from .deepdream import DreamResult, deepdream, tiled_gradient
from .failure import GRAY_THRESHOLD, gray_failure_rate, gray_score, is_gray_failure
from .metrics import high_frequency_share, radial_profile
from .objectives import Objective, activation_tensor, channel, class_logit, direction, diversity, layer, neuron
from .param import FourierImage, ImageParam, PixelImage
from .plots import show_grid, text_table
from .regularizers import blur, l1, l2, total_variation
from .render import METHODS, Adam, RenderResult, SeedAscent, method_settings, render, render_channels
from .transform import (Compose, CropOrPad, Jitter, Pad, RandomRotate, RandomScale, Transform,
                        standard_transforms)

__all__ = [
    "Adam", "Compose", "CropOrPad", "DreamResult", "FourierImage", "GRAY_THRESHOLD", "ImageParam", "Jitter",
    "METHODS", "Objective", "Pad", "PixelImage", "RandomRotate", "RandomScale", "RenderResult", "SeedAscent",
    "Transform", "activation_tensor", "blur", "channel", "class_logit", "deepdream", "direction", "diversity",
    "failure", "gray_failure_rate", "gray_score", "high_frequency_share", "is_gray_failure", "l1", "l2", "layer",
    "method_settings", "metrics", "neuron", "objectives", "param", "radial_profile", "regularizers", "render",
    "render_channels", "show_grid", "standard_transforms", "text_table", "tiled_gradient", "total_variation",
    "transform",
]
