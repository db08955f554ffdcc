"""Image parameterisations: how the numbers we optimise become a picture.

Gradient ascent does not see "an image", it sees parameters ``theta``. The
choice of parameters changes which direction is "steepest", and therefore
which image we end up with, even for the same objective:

- :class:`PixelImage` (the seed's): ``theta`` *is* the 0..255 pixel array.
  Every pixel moves independently, so the cheapest way up is high-frequency
  noise that humans cannot read.
- :class:`FourierImage`: ``theta`` is the image's 2-D Fourier spectrum, each
  frequency scaled by ``1/f`` so a step moves low frequencies as much as high
  ones would move in a natural image (whose amplitude falls like ``1/f``). The
  three channels are ImageNet's *decorrelated* colour components, and a
  sigmoid maps the result into 0..255. This is the parameterisation of the
  Distill article "Feature Visualization" (Olah, Mordvintsev & Schubert 2017)
  and of the lucid library.

Parameters are numpy arrays held by the object (``param.theta``); a
parameterisation maps them to images with TensorFlow ops so the render loop
can back-propagate through it with ``tf.GradientTape``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

# Square root of ImageNet's RGB colour covariance (columns: luminance, red-blue,
# green-magenta), as published with lucid (lucid/optvis/param/color.py). Scaled so
# its largest column has norm 1, as there, to keep decorrelated logits O(1).
IMAGENET_COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                            [0.27, 0.00, -0.05],
                                            [0.27, -0.09, 0.03]], dtype=np.float32)
COLOR_MATRIX = IMAGENET_COLOR_CORRELATION_SQRT / np.max(
    np.linalg.norm(IMAGENET_COLOR_CORRELATION_SQRT, axis=0))


def _check_shape(batch_size: int, size: Sequence[int]) -> tuple[int, tuple[int, int]]:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    size = tuple(int(s) for s in np.broadcast_to(np.asarray(size), (2,)))
    if min(size) < 2:
        raise ValueError(f"image size must be at least 2x2, got {size}")
    return int(batch_size), size


class ImageParam:
    """Base class: ``param(theta) -> (B, H, W, 3)`` float32 tensor in 0..255."""

    batch_size: int
    size: tuple[int, int]
    theta: list[np.ndarray]

    def __call__(self, theta: Sequence["tf.Tensor"] | None = None) -> "tf.Tensor":
        raise NotImplementedError

    def constrain(self) -> None:
        """Project ``theta`` back into its valid set after an optimiser step (default: nothing)."""

    def images(self) -> np.ndarray:
        """A copy of the current images as a float32 numpy array, 0..255."""
        # A copy: for PixelImage the tensor may share memory with theta, which the optimiser updates in place.
        return np.array(self(), dtype=np.float32, copy=True)


class PixelImage(ImageParam):
    """The seed's parameterisation: ``theta`` is the pixel array itself (0..255, clipped).

    ``init`` is ``"seed"`` (uniform noise in [128, 129), the classic tutorial's
    start, via :func:`inception.visual_analysis.initial_images`) or an image batch.
    """

    def __init__(self, batch_size: int = 1, size: Sequence[int] = (224, 224), init="seed",
                 seed: int | None = 0):
        self.batch_size, self.size = _check_shape(batch_size, size)
        if isinstance(init, str):
            if init != "seed":
                raise ValueError(f"init must be 'seed' or an image array, got {init!r}")
            rng = np.random.default_rng(seed)
            # Same draw as visual_analysis.initial_images, without needing a model.
            pixels = rng.uniform(size=(self.batch_size, *self.size, 3)).astype(np.float32) + 128.0
        else:
            pixels = np.asarray(init, dtype=np.float32)
            if pixels.ndim == 3:
                pixels = np.repeat(pixels[np.newaxis], self.batch_size, axis=0)
            if pixels.shape != (self.batch_size, *self.size, 3):
                raise ValueError(f"init images must have shape {(self.batch_size, *self.size, 3)}, "
                                 f"got {pixels.shape}")
        self.theta = [np.clip(pixels, 0.0, 255.0).astype(np.float32)]

    def __call__(self, theta=None):
        import tensorflow as tf
        return tf.convert_to_tensor((self.theta if theta is None else theta)[0])

    def constrain(self) -> None:
        np.clip(self.theta[0], 0.0, 255.0, out=self.theta[0])

    def __repr__(self) -> str:
        return f"PixelImage(batch_size={self.batch_size}, size={self.size})"


def frequency_weights(size: Sequence[int], decay_power: float = 1.0) -> np.ndarray:
    """``1 / f ** decay_power`` on the ``rfft2`` grid of an image of ``size`` (height, width).

    ``f`` is the radial frequency in cycles per pixel; it is floored at one
    cycle per image so the constant (DC) term gets a finite weight.
    """
    height, width = size
    fy = np.fft.fftfreq(height)[:, np.newaxis]
    fx = np.fft.rfftfreq(width)[np.newaxis, :]
    frequency = np.sqrt(fx ** 2 + fy ** 2)
    return (1.0 / np.maximum(frequency, 1.0 / max(height, width)) ** decay_power).astype(np.float32)


class FourierImage(ImageParam):
    """Images as 1/f-scaled Fourier spectra of decorrelated colour channels, through a sigmoid.

    Parameters
    ----------
    batch_size, size: images to make and their (height, width).
    sd: standard deviation of the random starting spectrum. Lucid uses 0.01, an almost
        uniform gray start. We use 0.1, a faint but visible colour cloud: on
        EfficientNet-Lite0 a uniform start leaves about a fifth of the channels of deep
        depthwise layers with exactly zero gradient (their one input channel is off
        everywhere), so they stay gray; see notebook 07.
    decay_power: exponent of the 1/f scaling. 1 matches natural images; 0 makes every
        frequency equal again (like pixels, but in colour-decorrelated space); 2 blurs more.
    decorrelate: map channels through ImageNet's colour correlation (True) or use them as RGB.
    seed: random seed of the starting spectrum.
    """

    # Divides the spectrum's output, as lucid does: keeps the starting logits near zero.
    OUTPUT_SCALE = 0.25

    def __init__(self, batch_size: int = 1, size: Sequence[int] = (224, 224), sd: float = 0.1,
                 decay_power: float = 1.0, decorrelate: bool = True, seed: int | None = 0):
        self.batch_size, self.size = _check_shape(batch_size, size)
        if sd < 0:
            raise ValueError(f"sd must be >= 0, got {sd}")
        self.decay_power = float(decay_power)
        self.decorrelate = bool(decorrelate)
        self.weights = frequency_weights(self.size, self.decay_power)
        rng = np.random.default_rng(seed)
        shape = (self.batch_size, 3, *self.weights.shape, 2)  # real and imaginary parts
        self.theta = [(sd * rng.standard_normal(shape)).astype(np.float32)]

    def __repr__(self) -> str:
        return (f"FourierImage(batch_size={self.batch_size}, size={self.size}, "
                f"decay_power={self.decay_power:g}, decorrelate={self.decorrelate})")

    @property
    def color_matrix(self) -> np.ndarray:
        return COLOR_MATRIX if self.decorrelate else np.eye(3, dtype=np.float32)

    def logits(self, theta=None) -> "tf.Tensor":
        """Pre-sigmoid RGB values, (B, H, W, 3): the inverse FFT, then the colour mixing."""
        import tensorflow as tf

        spectrum = tf.convert_to_tensor((self.theta if theta is None else theta)[0])
        complex_spectrum = tf.complex(spectrum[..., 0], spectrum[..., 1]) * self.weights.astype(np.complex64)
        height, width = self.size
        # tf's irfft2d divides by H*W; multiplying by sqrt(H*W) makes it the orthonormal transform.
        channels = tf.signal.irfft2d(complex_spectrum, fft_length=[height, width])
        channels = channels * (np.sqrt(height * width) * self.OUTPUT_SCALE)
        decorrelated = tf.transpose(channels, [0, 2, 3, 1])  # (B, H, W, 3)
        return tf.tensordot(decorrelated, tf.constant(self.color_matrix.T), axes=[[3], [0]])

    def __call__(self, theta=None):
        import tensorflow as tf
        return 255.0 * tf.sigmoid(self.logits(theta))

    def set_images(self, images, eps: float = 1e-3) -> None:
        """Set ``theta`` so the parameterisation reproduces ``images`` (0..255): the inverse map.

        Values are kept ``eps`` away from 0 and 255, where the sigmoid has no inverse.
        """
        pixels = np.asarray(images, dtype=np.float64)
        if pixels.ndim == 3:
            pixels = np.repeat(pixels[np.newaxis], self.batch_size, axis=0)
        if pixels.shape != (self.batch_size, *self.size, 3):
            raise ValueError(f"images must have shape {(self.batch_size, *self.size, 3)}, got {pixels.shape}")
        unit = np.clip(pixels / 255.0, eps, 1.0 - eps)
        logits = np.log(unit) - np.log1p(-unit)
        decorrelated = logits @ np.linalg.inv(self.color_matrix.T.astype(np.float64))
        channels = np.transpose(decorrelated, (0, 3, 1, 2))
        height, width = self.size
        spectrum = np.fft.rfft2(channels, norm="ortho") / (self.weights * self.OUTPUT_SCALE)
        self.theta = [np.stack([spectrum.real, spectrum.imag], axis=-1).astype(np.float32)]


__all__ = ["COLOR_MATRIX", "FourierImage", "IMAGENET_COLOR_CORRELATION_SQRT", "ImageParam", "PixelImage",
           "frequency_weights"]
