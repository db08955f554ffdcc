"""The render loop raises its objective, reproduces the seed's gradient ascent, and its optimisers."""
import warnings

import numpy as np
import pytest

import inception
from inception.optvis import objectives as obj
from inception.optvis import regularizers as reg
from inception.optvis.param import FourierImage, PixelImage
from inception.optvis.render import (Adam, SeedAscent, _transform_chain, method_settings, render, render_channels,
                                     render_step)
from inception.visual_analysis import gradient_ascent_step

LAYER = 10


def test_adam_moves_each_parameter_by_the_learning_rate_first_and_converges():
    theta = [np.array([0.0, 10.0], dtype=np.float64)]
    adam = Adam(learning_rate=0.05)
    adam.step(theta, [np.array([1e-6, -300.0])])
    np.testing.assert_allclose(theta[0], [0.05, 9.95], atol=1e-3)  # about lr, whatever the scale
    adam = Adam(learning_rate=0.1)
    x = [np.array([0.0])]
    for _ in range(500):
        adam.step(x, [-2 * (x[0] - 3.0)])  # ascend -(x - 3)^2
    assert x[0][0] == pytest.approx(3.0, abs=0.05)


def test_seed_ascent_is_the_seed_step(rng):
    images = rng.uniform(0, 255, size=(2, 5, 5, 3)).astype(np.float32)
    gradients = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    expected, _ = gradient_ascent_step(images, gradients)
    theta = [images.copy()]
    SeedAscent().step(theta, [gradients])
    np.testing.assert_allclose(np.clip(theta[0], 0, 255), expected, rtol=1e-6)


def test_pixels_without_transforms_reproduce_optimize_features(model):
    features = [2, 9]
    expected, history = inception.optimize_features(LAYER, features, num_iterations=4, model=model, seed=5)
    raw_conv = model.conv_layer_name(LAYER) + ":0"  # the seed's objective: the conv output itself
    result = render(obj.channel(raw_conv, features), model, param=PixelImage(2, model.input_size, seed=5),
                    transforms=None, optimizer=SeedAscent(), steps=4, progress=False)
    np.testing.assert_allclose(result.history, history, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(result.images, expected, atol=1e-2)


@pytest.mark.parametrize("method, layer, steps", [("pixels", LAYER, 6), ("fourier", LAYER, 6),
                                                  ("fourier + transforms", 24, 30)])
def test_render_raises_its_objective_in_a_few_steps(model, method, layer, steps):
    # Random transforms make every step see a different alignment, so they need more steps; and
    # early strided layers like pixel-exact patterns that transforms wash out, so we use layer 24.
    objective = obj.channel(layer, [7, 40])
    settings = method_settings(method, 2, model.input_size, seed=1)
    before = objective(model, settings["param"].images())
    result = render(objective, model, steps=steps, progress=False, seed=1, **settings)
    assert result.images.shape == (2, 224, 224, 3) and result.history.shape == (steps, 2)
    assert result.images.min() >= 0.0 and result.images.max() <= 255.0
    assert np.all(result.final > before + 0.5), (before, result.final)
    np.testing.assert_allclose(result.final, objective(model, result.images), rtol=1e-5)


def test_the_step_gradient_is_the_derivative_through_transforms_and_fourier(model):
    objective = obj.channel(LAYER, [7, 40])
    gradient_fn = objective.gradient_function(model)
    param = FourierImage(2, model.input_size, sd=0.5, seed=1)
    chain = _transform_chain("standard", model.input_size)
    values, gradients, _ = render_step(param, chain, gradient_fn, np.random.default_rng(3))
    eps = 1e-2
    param.theta = [param.theta[0] + eps * gradients[0]]
    same_transform = chain.resampling(chain.sample(np.random.default_rng(3)), model.input_size)
    moved = gradient_fn(same_transform(param.images()))[0]
    # First-order change along the gradient g is eps * |g|^2.
    np.testing.assert_allclose((moved.sum() - values.sum()) / eps, np.sum(gradients[0] ** 2), rtol=0.05)


def test_default_render_is_fourier_with_transforms_and_keeps_snapshots(model):
    result = render(obj.neuron(LAYER, 5), model, steps=3, progress=False, snapshot_steps=[0, 3])
    assert result.objective == "neuron(10, 5)"
    assert sorted(result.snapshots) == [0, 3]
    np.testing.assert_allclose(result.snapshots[0], FourierImage(1, model.input_size, seed=0).images())
    np.testing.assert_array_equal(result.snapshots[3], result.images)


def test_a_strong_total_variation_penalty_smooths_the_image(model):
    objective = obj.channel(LAYER, [3, 40])
    tv = reg.total_variation(1.0)

    def run(regularizers):
        return render(objective, model, param=FourierImage(2, model.input_size, seed=2), transforms=None,
                      regularizers=regularizers, steps=6, progress=False, seed=2)

    plain, smooth = run([]), run([reg.total_variation(200.0)])
    assert smooth.penalties.shape == (6, 2) and plain.penalties is None
    assert np.all(tv(smooth.images).numpy() < tv(plain.images).numpy())


def test_steps_are_capped_by_the_environment(model, monkeypatch):
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the cap announces itself once
        result = render(obj.channel(LAYER, 1), model, steps=50, progress=False)
    assert result.history.shape == (2, 1)


def test_bad_arguments_give_clear_errors(model):
    with pytest.raises(ValueError, match="makes 1 images but the batch has 2"):
        render(obj.channel(LAYER, [1, 2]), model, param=FourierImage(1, model.input_size), steps=1)
    with pytest.raises(ValueError, match="'standard'"):
        render(obj.channel(LAYER, 1), model, transforms="lucid", steps=1)
    with pytest.raises(TypeError, match="Objective"):
        render(5, model, steps=1)
    with pytest.raises(IndexError, match="144 channels"):
        render(obj.channel(LAYER, 500), model, steps=1)
    with pytest.raises(ValueError, match="unknown method"):
        method_settings("magic", 1, (224, 224))


def test_render_channels_covers_a_list_in_batches(model):
    result = render_channels(LAYER, [4, 5, 6], model, batch_size=2, steps=2, progress=False,
                             method="fourier", param_kwargs={"sd": 0.01})
    assert result.images.shape == (3, 224, 224, 3) and result.history.shape == (2, 3)
    np.testing.assert_allclose(result.final, obj.channel(LAYER, [4, 5, 6])(model, result.images), rtol=1e-5)
    with pytest.raises(IndexError, match="144 channels"):
        render_channels(LAYER, [4, 144], model, steps=1, progress=False)


def test_method_settings_pass_options_to_the_parameterisation():
    settings = method_settings("fourier", 2, (16, 16), decay_power=2.0)
    assert isinstance(settings["param"], FourierImage) and settings["param"].decay_power == 2.0
    assert settings["transforms"] is None and isinstance(settings["optimizer"], Adam)
    assert isinstance(method_settings("pixels + transforms", 1, (16, 16))["optimizer"], SeedAscent)


def test_render_and_deepdream_work_at_inception_v3s_input_size(fake_v3):
    from inception.optvis.deepdream import deepdream

    result = render(obj.channel(3, [0, 1]), fake_v3, steps=2, progress=False)
    assert result.images.shape == (2, 299, 299, 3)
    dream = deepdream(np.full((320, 350, 3), 120.0), 3, fake_v3, octaves=2, steps_per_octave=1, progress=False)
    assert dream.image.shape == (320, 350, 3)
