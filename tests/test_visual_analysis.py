"""Gradient ascent as in the classic tutorial, on the embedded model."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import inception  # noqa: E402
from inception.visual_analysis import gradient_ascent_step, initial_images  # noqa: E402


def _channel_mean(model, image, conv_id, feature):
    return float(model.activations(image, [conv_id])[0][0, :, :, feature].mean())


def test_initial_images_are_near_gray_noise(model):
    images = initial_images(model, 2, seed=1)
    assert images.shape == (2, 224, 224, 3)
    assert images.min() >= 128.0 and images.max() <= 129.0  # [128, 129) rounded to float32
    assert images.std() > 0.1


def test_step_normalises_by_gradient_std_and_clips():
    images = np.full((2, 4, 4, 3), 254.0, dtype=np.float32)
    gradients = np.stack([np.linspace(-1, 1, 48).reshape(4, 4, 3), np.linspace(0, 5, 48).reshape(4, 4, 3)])
    updated, steps = gradient_ascent_step(images, gradients.astype(np.float32))
    np.testing.assert_allclose(steps, 1.0 / (gradients.reshape(2, -1).std(axis=1) + 1e-8), rtol=1e-6)
    assert updated.max() == 255.0 and updated.min() >= 0.0
    expected = np.clip(254.0 + steps[0] * gradients[0], 0, 255)
    np.testing.assert_allclose(updated[0], expected, rtol=1e-5)


@pytest.mark.parametrize("conv_id, feature", [(5, 2), (30, 7)])
def test_gradient_ascent_raises_the_target_activation(model, conv_id, feature):
    image = inception.optimize_image(conv_id, feature, num_iterations=10, show_progress=False,
                                     model=model, seed=0)
    start = initial_images(model, 1, seed=0)
    assert image.shape == (224, 224, 3)
    assert image.min() >= 0.0 and image.max() <= 255.0
    before = _channel_mean(model, start, conv_id, feature)
    after = _channel_mean(model, image, conv_id, feature)
    assert after > before + 1.0, (before, after)


def test_objective_history_rises_for_every_image_of_a_batch(model):
    images, history = inception.optimize_features(20, [1, 2, 3, 4, 5, 6], num_iterations=8, model=model, seed=3)
    assert images.shape == (6, 224, 224, 3)
    assert history.shape == (8, 6)
    assert np.all(history[-1] > history[0])
    # The history is the feature's own objective: recompute the last one.
    assert _channel_mean(model, images[2:3], 20, 3) > history[-1, 2]


def test_class_maximisation_reaches_high_confidence(model):
    kit_fox = model.name_lookup.name_to_cls("kit fox")
    image = inception.optimize_image(None, kit_fox, num_iterations=30, show_progress=False, model=model, seed=0)
    assert model.predict(image)[0, kit_fox] >= 0.9


def test_no_graph_growth_over_repeated_calls(model):
    inception.optimize_image(4, 1, num_iterations=1, show_progress=False, model=model)
    inception.optimize_features(4, [1, 2], num_iterations=1, model=model)
    ops_before = len(model.graph.get_operations())
    for feature in range(20):
        inception.optimize_image(4, feature, num_iterations=1, show_progress=False, model=model)
        inception.optimize_features(4, [feature, feature + 1], num_iterations=1, model=model)
    assert len(model.graph.get_operations()) == ops_before


def test_show_progress_prints_the_tutorial_lines(model, capsys):
    inception.optimize_image(5, 2, num_iterations=2, show_progress=True, model=model)
    out = capsys.readouterr().out
    assert out.count("Iteration:") == 2
    assert "Predicted class-name:" in out and "score:" in out
    assert "Gradient min:" in out and "stepsize:" in out and "Loss:" in out


def test_iteration_cap_from_the_environment(model, monkeypatch):
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "2")
    with pytest.warns(UserWarning, match="INCEPTION_MAX_ITERATIONS=2"):
        _, history = inception.optimize_features(3, [0], num_iterations=30, model=model)
    assert history.shape == (2, 1)


def test_bad_arguments(model):
    with pytest.raises(IndexError, match=r"0\.\.48"):
        inception.optimize_image(conv_id=94, feature=0, num_iterations=1, model=model)
    with pytest.raises(IndexError, match="32 channels"):
        inception.optimize_image(conv_id=0, feature=40, num_iterations=1, model=model)
    with pytest.raises(IndexError, match="1000 classes"):
        inception.optimize_image(conv_id=None, feature=1000, num_iterations=1, model=model)
    with pytest.raises(ValueError, match="num_iterations"):
        inception.optimize_image(conv_id=0, feature=0, num_iterations=-3, model=model)


def test_optimize_images_shows_a_grid(model, capsys):
    import matplotlib.pyplot as plt

    plt.close("all")
    images = inception.optimize_images(conv_id=2, num_iterations=2, show_size=50, model=model)
    assert images.shape == (6, 224, 224, 3)
    assert "Layer: block0/project/Conv2D" in capsys.readouterr().out
    assert len(plt.get_fignums()) == 1 and len(plt.gcf().axes) == 6
    plt.close("all")


def test_normalize_image():
    x = np.array([[2.0, 4.0], [6.0, 10.0]])
    np.testing.assert_allclose(inception.normalize_image(x), [[0, 0.25], [0.5, 1.0]])
    assert np.all(inception.normalize_image(np.full((3, 3), 7.0)) == 0)


def test_plot_images_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        inception.plot_images(np.zeros((6, 10, 10)))
    with pytest.raises(ValueError, match="show_size"):
        inception.plot_images(np.zeros((6, 10, 10, 3)), show_size=0)


def test_dead_features_are_reported_not_passed_off_as_results(model):
    # block11/depthwise: features 1..6 never respond to a near-gray image on this model.
    conv_id = model.conv_layer_names.index("block11/depthwise/depthwise")
    with pytest.warns(UserWarning, match=r"zero gradient at every step") as record:
        images, history = inception.optimize_features(conv_id, [1, 2], num_iterations=3, model=model, seed=0)
    assert "block11/depthwise/depthwise" in str(record[0].message)
    np.testing.assert_array_equal(images, initial_images(model, 2, seed=0))
    assert np.all(history[0] == history[-1])


def test_live_features_raise_no_dead_warning(model):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inception.optimize_features(5, [2], num_iterations=2, model=model, seed=0)
