"""The gray-failure score of seed 004 separates gray images from coloured ones."""
import numpy as np
import pytest
from PIL import Image

from inception.optvis import failure
from inception.optvis.param import PixelImage


def test_a_gray_image_scores_zero_and_is_flagged(rng):
    luma = rng.uniform(0, 255, size=(16, 16, 1))
    gray = np.repeat(luma, 3, axis=-1)  # any gray image, even a contrasty one
    assert failure.gray_score(gray)[0] == pytest.approx(0.0, abs=1e-9)
    assert failure.is_gray_failure(gray)[0]


def test_a_coloured_image_scores_high(rng):
    red_and_blue = np.zeros((8, 8, 3))
    red_and_blue[:, :4, 0] = 255.0
    red_and_blue[:, 4:, 2] = 255.0
    score = failure.gray_score(red_and_blue)[0]
    # Red pixels: (255 - 76.245, -76.245, -76.245); blue: (-29.07, -29.07, 255 - 29.07).
    red = np.array([255 - 0.299 * 255, -0.299 * 255, -0.299 * 255])
    blue = np.array([-0.114 * 255, -0.114 * 255, 255 - 0.114 * 255])
    assert score == pytest.approx(np.sqrt((np.sum(red ** 2) + np.sum(blue ** 2)) / 6))
    assert not failure.is_gray_failure(red_and_blue)[0]


def test_grayscale_matches_pil(rng):
    image = rng.integers(0, 256, size=(5, 7, 3)).astype(np.uint8)
    pil = np.asarray(Image.fromarray(image).convert("L"), dtype=np.float64)
    ours = failure.grayscale(image)[0]
    np.testing.assert_array_less(np.abs(ours[..., 0] - pil), 1.0)  # PIL rounds to whole levels
    np.testing.assert_array_equal(ours[..., 0], ours[..., 2])


def test_the_seed_start_is_a_failure_and_photos_are_not(model, cat_image, coffee_image):
    start = PixelImage(2, model.input_size).images()
    photos = np.stack([cat_image, coffee_image])
    assert np.all(failure.is_gray_failure(start))
    assert not np.any(failure.is_gray_failure(photos))
    assert failure.gray_failure_rate(np.concatenate([start, photos])) == 0.5
    assert failure.gray_score(photos).min() > 5 * failure.gray_score(start).max()


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="RGB"):
        failure.gray_score(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="RGB"):
        failure.gray_score(np.zeros((1, 4, 4, 4)))
