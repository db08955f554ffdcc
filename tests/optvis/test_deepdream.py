"""DeepDream: octave sizes, exact tiling with shifts, normalised steps, and a dream that raises its layer."""
import numpy as np
import pytest

from inception.optvis import objectives as obj
from inception.optvis.deepdream import deepdream, dream_step, octave_sizes, tiled_gradient


def test_octaves_grow_by_the_scale_up_to_the_photo():
    assert octave_sizes((400, 600), 3, 2.0) == [(100, 150), (200, 300), (400, 600)]
    assert octave_sizes((300, 451), 1, 1.4) == [(300, 451)]
    with pytest.raises(ValueError, match="octave_scale"):
        octave_sizes((10, 10), 2, 1.0)


@pytest.mark.parametrize("shape, shift", [((300, 451), (0, 0)), ((300, 451), (37, -100)), ((100, 90), (5, 7))])
def test_tiles_and_shifts_put_every_gradient_back_where_it_belongs(rng, shape, shift):
    image = rng.uniform(0, 255, size=(*shape, 3)).astype(np.float32)
    seen = []

    def identity_gradient(tiles):  # the "gradient" of each tile is the tile itself
        assert tiles.shape[1:] == (64, 64, 3)
        seen.append(len(tiles))
        return np.arange(len(tiles), dtype=np.float32), tiles

    value, gradient = tiled_gradient(image, identity_gradient, 64, shift)
    np.testing.assert_array_equal(gradient, image)
    rows, cols = -(-shape[0] // 64), -(-shape[1] // 64)
    assert seen == [rows * cols] and value == pytest.approx((rows * cols - 1) / 2)


def test_one_tile_is_the_model_gradient(model, cat_image):
    gradient_fn = obj.layer(20).gradient_function(model)
    value, gradient = tiled_gradient(cat_image, gradient_fn, 224)
    direct_value, direct_gradient = gradient_fn(cat_image[np.newaxis])
    assert value == pytest.approx(float(direct_value[0]), rel=1e-6)
    np.testing.assert_allclose(gradient, direct_gradient[0], rtol=1e-5, atol=1e-9)


def test_dream_step_moves_by_step_size_on_average(rng):
    image = np.full((4, 4, 3), 100.0, dtype=np.float32)
    gradient = rng.standard_normal((4, 4, 3)).astype(np.float32)
    out = dream_step(image, gradient, 1.5)
    np.testing.assert_allclose(np.abs(out - image).mean(), 1.5, rtol=1e-4)
    assert dream_step(np.full((2, 2, 3), 254.0), np.ones((2, 2, 3)), 5.0).max() == 255.0


def test_deepdream_raises_the_layer_objective_on_a_photo(model):
    import inception
    photo = inception.load_image(inception.sample_photo_path("cat"), (160, 240))
    result = deepdream(photo, 20, model, octaves=2, octave_scale=1.5, steps_per_octave=3, progress=False)
    assert result.image.shape == photo.shape and len(result.octaves) == 2
    assert result.octaves[0].shape == (107, 160, 3)
    assert result.image.min() >= 0 and result.image.max() <= 255
    assert result.history.shape == (6,) and result.history[-1] > result.history[0]
    objective = obj.layer(20).gradient_function(model)
    before, _ = tiled_gradient(photo, objective, 224)
    after, _ = tiled_gradient(result.image, objective, 224)
    assert after > 1.2 * before
    again = deepdream(photo, obj.layer(20), model, octaves=2, octave_scale=1.5, steps_per_octave=3,
                      progress=False)
    np.testing.assert_array_equal(again.image, result.image)  # seeded shifts: reproducible


def test_deepdream_refuses_a_batch(model):
    with pytest.raises(ValueError, match="one RGB photo"):
        deepdream(np.zeros((2, 50, 50, 3)), 20, model, progress=False)
