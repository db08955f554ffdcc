"""High-frequency energy share: reference images with known spectra."""
import numpy as np
import pytest

from inception.optvis import metrics


def image_from(channel):
    return np.repeat(np.asarray(channel, dtype=np.float64)[..., np.newaxis], 3, axis=-1)


def test_a_checkerboard_is_all_high_frequency_and_a_slow_wave_none():
    rows, cols = np.mgrid[0:32, 0:32]
    checkerboard = image_from(255.0 * ((rows + cols) % 2))
    slow = image_from(127.5 + 100 * np.sin(2 * np.pi * cols / 32))
    assert metrics.high_frequency_share(checkerboard)[0] == pytest.approx(1.0)
    assert metrics.high_frequency_share(slow)[0] == pytest.approx(0.0, abs=1e-12)


def test_the_cutoff_sits_at_half_nyquist():
    cols = np.mgrid[0:64, 0:64][1]
    below = image_from(np.cos(2 * np.pi * 0.23 * cols))  # 0.23 cycles/pixel (near bin 15/64)
    above = image_from(np.cos(2 * np.pi * 17 / 64 * cols))  # 0.266 cycles/pixel, exactly on a bin
    assert metrics.high_frequency_share(above)[0] == pytest.approx(1.0)
    assert metrics.high_frequency_share(below)[0] < 0.1
    assert metrics.high_frequency_share(above, cutoff=0.6)[0] == pytest.approx(0.0, abs=1e-12)


def test_white_noise_puts_about_eighty_percent_above_the_cutoff(rng):
    noise = rng.uniform(0, 255, size=(8, 64, 64, 3))
    share = metrics.high_frequency_share(noise)
    assert share.shape == (8,)
    np.testing.assert_allclose(share.mean(), 1 - np.pi * 0.25 ** 2, atol=0.02)


def test_flat_images_have_no_share_and_photos_little(cat_image):
    assert metrics.high_frequency_share(np.full((8, 8, 3), 90.0))[0] == 0.0
    assert metrics.high_frequency_share(cat_image)[0] < 0.1


def test_radial_profile_has_one_value_per_ring(rng):
    centres, profile = metrics.radial_profile(rng.uniform(size=(2, 16, 16, 3)), bins=8)
    assert centres.shape == (8,) and profile.shape == (2, 8)
    assert centres[0] == pytest.approx(0.5 / 16) and np.all(profile > 0)
