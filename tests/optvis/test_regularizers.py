"""Regularisers: exact penalties on tiny images, blur against scipy."""
import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

from inception.optvis import regularizers as reg


def as_tensor(array):
    return tf.constant(np.asarray(array, dtype=np.float32))


def test_total_variation_counts_edges():
    stripes = np.zeros((1, 2, 2, 3))
    stripes[:, :, 1] = 255.0  # one vertical edge of full height
    assert float(reg.total_variation(1.0)(as_tensor(stripes))[0]) == pytest.approx(1.0)
    assert float(reg.total_variation(2.0)(as_tensor(stripes))[0]) == pytest.approx(2.0)
    flat = np.full((2, 5, 5, 3), 77.0)
    np.testing.assert_array_equal(reg.total_variation()(as_tensor(flat)).numpy(), [0.0, 0.0])


def test_l1_and_l2_measure_distance_from_gray():
    white = np.full((1, 3, 3, 3), 255.0)
    gray = np.full((1, 3, 3, 3), 127.5)
    assert float(reg.l1()(as_tensor(white))[0]) == pytest.approx(0.5)
    assert float(reg.l2()(as_tensor(white))[0]) == pytest.approx(0.25)
    assert float(reg.l1(3.0)(as_tensor(gray))[0]) == pytest.approx(0.0)
    assert float(reg.l2(center=0.0)(as_tensor(white))[0]) == pytest.approx(1.0)


def test_gaussian_blur_matches_scipy(rng):
    image = rng.uniform(0, 1, size=(1, 9, 11, 3)).astype(np.float32)
    ours = reg.gaussian_blur(as_tensor(image), sigma=1.0).numpy()
    theirs = ndimage.gaussian_filter(image, sigma=(0, 1.0, 1.0, 0), mode="reflect", truncate=3.0)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(reg.gaussian_kernel(1.5).sum(), 1.0, rtol=1e-6)


def test_blur_penalty_is_zero_for_smooth_images_and_large_for_noise(rng):
    flat = np.full((1, 8, 8, 3), 200.0)
    noise = rng.uniform(0, 255, size=(1, 8, 8, 3))
    assert float(reg.blur()(as_tensor(flat))[0]) == pytest.approx(0.0, abs=1e-9)
    assert float(reg.blur()(as_tensor(noise))[0]) > 0.01


def test_blur_gradient_pulls_towards_the_blurred_image(rng):
    image = as_tensor(rng.uniform(0, 255, size=(1, 8, 8, 3)))
    with tf.GradientTape() as tape:
        tape.watch(image)
        penalty = reg.blur(sigma=1.0)(image)
    gradient = tape.gradient(penalty, image).numpy()
    blurred = reg.gaussian_blur(image / 255.0, 1.0).numpy()
    expected = (image.numpy() / 255.0 - blurred) / image.numpy()[0].size / 255.0
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-9)


def test_negative_weights_are_refused():
    with pytest.raises(ValueError, match=">= 0"):
        reg.total_variation(-1.0)
    with pytest.raises(ValueError, match="sigma"):
        reg.gaussian_kernel(0.0)
