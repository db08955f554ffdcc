"""Parameterisations: the seed's pixels, and the Fourier/decorrelated image with its inverse."""
import numpy as np
import pytest
import tensorflow as tf

from inception.optvis import metrics
from inception.optvis.param import COLOR_MATRIX, FourierImage, PixelImage, frequency_weights
from inception.visual_analysis import initial_images


def test_pixel_image_starts_where_the_seed_starts(model):
    param = PixelImage(3, model.input_size, seed=7)
    np.testing.assert_array_equal(param.images(), initial_images(model, 3, seed=7))


def test_pixel_image_is_its_parameters_and_clips():
    start = np.full((2, 4, 4, 3), 100.0)
    param = PixelImage(2, (4, 4), init=start)
    np.testing.assert_array_equal(param.images(), start)
    param.theta[0] += np.linspace(-300, 300, 96).reshape(2, 4, 4, 3)
    param.constrain()
    assert param.images().min() == 0.0 and param.images().max() == 255.0
    with pytest.raises(ValueError, match="shape"):
        PixelImage(2, (4, 4), init=np.zeros((3, 4, 4, 3)))
    with pytest.raises(ValueError, match="batch_size"):
        PixelImage(0, (4, 4))


def test_frequency_weights_fall_like_one_over_f():
    weights = frequency_weights((8, 8))
    assert weights.shape == (8, 5)
    assert weights[0, 0] == 8.0  # DC floored at one cycle per image
    assert weights[0, 2] == 4.0  # f = 2/8 cycles per pixel
    assert weights[0, 4] == 2.0  # Nyquist
    np.testing.assert_allclose(weights[2, 2], 1 / np.hypot(0.25, 0.25), rtol=1e-6)
    np.testing.assert_allclose(frequency_weights((8, 8), decay_power=2.0)[0, 2], 16.0)
    np.testing.assert_array_equal(frequency_weights((8, 8), decay_power=0.0), np.ones((8, 5)))


@pytest.mark.parametrize("decorrelate, size", [(True, (12, 10)), (False, (12, 10)), (True, (9, 7))])
def test_fourier_image_round_trips(rng, decorrelate, size):
    images = rng.uniform(2, 253, size=(2, *size, 3))  # odd sizes too: Inception v3 renders at 299
    param = FourierImage(2, size, decorrelate=decorrelate)
    param.set_images(images)
    np.testing.assert_allclose(param.images(), images, atol=0.02)


def test_fourier_image_starts_gray_and_colours_are_decorrelated():
    param = FourierImage(2, (32, 32), sd=0.01, seed=0)
    images = param.images()
    assert images.shape == (2, 32, 32, 3)
    assert np.abs(images - 127.5).max() < 5.0 and images.std() < 1.0
    # Columns: luminance, then two colour-opponent directions; the largest has norm 1.
    np.testing.assert_allclose(np.linalg.norm(COLOR_MATRIX, axis=0).max(), 1.0, rtol=1e-6)
    assert np.all(COLOR_MATRIX[:, 0] > 0)
    assert abs(COLOR_MATRIX[:, 1].sum()) < 0.05  # red minus blue


def test_fourier_noise_has_the_energy_of_one_over_f_noise(rng):
    # Random spectra through the 1/f weights: the power per frequency falls like 1/f^2, so the
    # share above half Nyquist is sum(w^2 above) / sum(w^2), about 22% on 64x64 (white noise: 80%).
    size = (64, 64)
    weights = 1 / np.maximum(metrics.radial_frequency(size), 1 / 64)
    weights[0, 0] = 0.0  # the mean is not counted
    expected = np.sum(weights[metrics.radial_frequency(size) > 0.25] ** 2) / np.sum(weights ** 2)
    fourier = FourierImage(16, size, sd=0.05, seed=1).images()  # small: the sigmoid is nearly linear
    share = metrics.high_frequency_share(fourier)
    np.testing.assert_allclose(share.mean(), expected, atol=0.02)
    assert expected < 0.3 and metrics.high_frequency_share(rng.uniform(0, 255, (4, *size, 3))).min() > 0.75


def test_fourier_gradient_matches_finite_differences(rng):
    param = FourierImage(1, (8, 6), sd=0.5, seed=3)
    weights = rng.standard_normal((1, 8, 6, 3)).astype(np.float32)

    def loss(theta):
        return float(tf.reduce_sum(param([tf.constant(theta)]) * weights))

    theta = tf.constant(param.theta[0])
    with tf.GradientTape() as tape:
        tape.watch(theta)
        value = tf.reduce_sum(param([theta]) * weights)
    gradient = tape.gradient(value, theta).numpy()
    # Interior frequencies, their real and imaginary parts, and the DC term.
    for index in [(0, 0, 1, 1, 0), (0, 1, 2, 2, 1), (0, 2, 5, 1, 0), (0, 0, 0, 0, 0)]:
        step = np.zeros_like(param.theta[0])
        step[index] = 1e-2
        numeric = (loss(param.theta[0] + step) - loss(param.theta[0] - step)) / 2e-2
        np.testing.assert_allclose(gradient[index], numeric, rtol=2e-2, atol=1e-2)


def test_images_are_a_copy_not_a_view_of_the_parameters():
    param = PixelImage(1, (4, 4))
    images = param.images()
    param.theta[0] += 10.0
    assert np.all(param.images() - images == 10.0)
