"""Transforms on tiny images give exact values; a chain is one resampling with an exact adjoint."""
import numpy as np
import pytest

from inception.optvis.transform import (GRAY, Compose, CropOrPad, Jitter, Pad, RandomRotate, RandomScale,
                                        resampling, standard_transforms)


def tiny(height=3, width=3, channels=1):
    """A (1, H, W, C) image whose values are 1, 2, 3, ... so every pixel is distinguishable."""
    return np.arange(1, height * width * channels + 1, dtype=np.float32).reshape(1, height, width, channels)


def test_pad_surrounds_the_image_with_gray():
    out = Pad(1).apply(tiny(2, 2), None)
    expected = np.full((1, 4, 4, 1), GRAY, dtype=np.float32)
    expected[0, 1:3, 1:3, 0] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(out, expected)


def test_jitter_is_a_shifted_crop():
    image = tiny(4, 4)
    np.testing.assert_array_equal(Jitter(2).apply(image, (1, 0)), image[:, 1:3, 0:2])
    np.testing.assert_array_equal(Jitter(2).apply(image, (2, 2)), image[:, 2:4, 2:4])
    rng = np.random.default_rng(0)
    offsets = {Jitter(2).sample(rng) for _ in range(200)}
    assert offsets == {(dy, dx) for dy in range(3) for dx in range(3)}
    with pytest.raises(ValueError, match="0..2"):
        Jitter(2).apply(image, (3, 0))


def test_scale_two_interpolates_with_half_pixel_centres():
    image = tiny(2, 2)  # [[1, 2], [3, 4]]
    out = RandomScale([2.0]).apply(image, 2.0)[0, :, :, 0]
    # Output centres fall on input coordinates -0.25, 0.25, 0.75, 1.25; beyond the edge lies gray.
    weights = np.array([[0.75, 0], [0.75, 0.25], [0.25, 0.75], [0, 0.75]])
    inside = weights.sum(axis=1)
    expected = weights @ image[0, :, :, 0] @ weights.T + (1 - np.outer(inside, inside)) * GRAY
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(out[1:3, 1:3], [[1.75, 2.25], [2.75, 3.25]], rtol=1e-6)
    np.testing.assert_array_equal(RandomScale([1.0]).apply(image, 1.0), image)


def test_rotation_by_right_angles_is_exact():
    image = tiny(3, 3, channels=2)
    np.testing.assert_array_equal(RandomRotate([90]).apply(image, 90.0), np.rot90(image, k=1, axes=(1, 2)))
    np.testing.assert_array_equal(RandomRotate([-90]).apply(image, -90.0), np.rot90(image, k=-1, axes=(1, 2)))
    np.testing.assert_array_equal(RandomRotate([180]).apply(image, 180.0), image[:, ::-1, ::-1])
    np.testing.assert_array_equal(RandomRotate([0]).apply(image, 0.0), image)


def test_small_rotation_keeps_the_centre_and_mixes_the_rest():
    image = tiny(5, 5)
    out = RandomRotate([10]).apply(image, 10.0)
    assert out[0, 2, 2, 0] == image[0, 2, 2, 0]
    assert not np.allclose(out, image)


def test_crop_or_pad_to_a_size():
    image = tiny(4, 4)
    np.testing.assert_array_equal(CropOrPad((2, 2)).apply(image, None), image[:, 1:3, 1:3])
    padded = CropOrPad((4, 4)).apply(tiny(2, 2), None)
    np.testing.assert_array_equal(padded, Pad(1).apply(tiny(2, 2), None))


def test_a_chain_is_the_same_as_its_steps_one_after_another():
    image = tiny(4, 5, channels=3)
    chain = Compose([Pad(2), Jitter(3), RandomRotate([90]), CropOrPad((4, 4))])
    params = [None, (1, 2), 90.0, None]
    step_by_step = image
    for t, p in zip(chain.transforms, params):
        step_by_step = t.apply(step_by_step, p)
    np.testing.assert_array_equal(chain.apply(image, params), step_by_step)


def test_the_backward_pass_is_the_exact_adjoint(rng):
    chain = Compose(standard_transforms() + [CropOrPad((40, 40))])
    resample = chain.resampling(chain.sample(rng), (40, 40))
    x = rng.standard_normal((2, 40, 40, 3)).astype(np.float32)
    y = rng.standard_normal((2, 40, 40, 3)).astype(np.float32)
    linear = resample(x) - resample(np.zeros_like(x))  # drop the constant fill
    np.testing.assert_allclose(np.sum(linear * y), np.sum(x * resample.backward(y)), rtol=1e-4)


def test_resampling_weights_sum_to_one_with_the_fill():
    resample = resampling(np.array([[-0.5, 0.3], [1.7, 9.0]]), np.array([[0.2, -2.0], [0.9, 0.1]]), (2, 2))
    total = np.asarray(resample.matrix.sum(axis=1)).ravel() + resample.fill_weight
    np.testing.assert_allclose(total, 1.0, rtol=1e-6)
    assert resample.fill_weight[1] == 1.0 and resample.fill_weight[3] == 1.0  # far outside: all gray


def test_standard_transforms_follow_lucid():
    pad, jitter, scale, rotate, jitter2 = standard_transforms()
    assert (pad.width, jitter.d, jitter2.d) == (12, 8, 4)
    np.testing.assert_allclose(scale.scales, np.arange(0.90, 1.101, 0.02))
    assert sorted(set(rotate.angles)) == list(range(-10, 11)) and rotate.angles.count(0) == 6
    assert [t.d for t in standard_transforms(2.0) if isinstance(t, Jitter)] == [16, 8]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        Pad(-1)
    with pytest.raises(ValueError, match="positive"):
        RandomScale([])
    with pytest.raises(ValueError, match="cannot jitter"):
        Jitter(4).apply(tiny(3, 3), (0, 0))
    with pytest.raises(TypeError, match="Transform"):
        Compose([lambda x: x])
