"""The sanity checks: cascading randomization and localisation on composites."""
import warnings

import numpy as np
import pytest

from inception.cam import GradCAM
from inception.saliency import GuidedBackprop, VanillaGradient
from inception.sanity import (Composite, cascading_randomization, edge_map, format_scores,
                              localisation_scores, localisation_share, random_kernel,
                              randomization_schedule, rank_correlation, sample_composite,
                              two_photo_composite)

CAT, ESPRESSO = 285, 967


def test_rank_correlation():
    a = np.arange(20.0).reshape(4, 5)
    assert rank_correlation(a, a ** 3) == pytest.approx(1.0)  # ranks, not values
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert np.isnan(rank_correlation(a, np.zeros_like(a)))
    with pytest.raises(ValueError, match="differ in size"):
        rank_correlation(a, a[:2])


def test_schedule_runs_from_the_top_layer_to_all(monkeypatch):
    monkeypatch.delenv("INCEPTION_MAX_ITERATIONS", raising=False)
    schedule = randomization_schedule(50, 10)
    assert len(schedule) == 10 and schedule[0] == 1 and schedule[-1] == 50
    assert schedule == sorted(set(schedule))
    assert schedule[:3] == [1, 2, 3]  # the top layers one by one
    assert randomization_schedule(3, 10) == [1, 2, 3]
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(randomization_schedule(50, 10)) == 3
    with pytest.raises(ValueError, match="no weights"):
        randomization_schedule(0, 3)


def test_random_kernels_keep_the_scale_and_are_reproducible(rng):
    trained = rng.normal(0.3, 0.05, (3, 3, 16, 32)).astype(np.float32)
    kernel = random_kernel(trained, (0, 7))
    assert kernel.shape == trained.shape and kernel.dtype == trained.dtype
    assert kernel.std() == pytest.approx(trained.std(), rel=0.05)
    assert abs(kernel.mean()) < 0.01
    np.testing.assert_array_equal(kernel, random_kernel(trained, (0, 7)))
    assert not np.array_equal(kernel, random_kernel(trained, (0, 8)))


def test_cascading_randomization_runs_and_destroys_the_gradient(model, cat_image):
    predictions = model.predict(cat_image)
    result = cascading_randomization(
        model, cat_image, CAT,
        {"Gradient": VanillaGradient, "Guided backprop": GuidedBackprop, "Grad-CAM": GradCAM}, steps=3)
    assert result.randomized == [0, 1, 7, 50] and result.layer_count == 50
    assert result.lowest_layer[:2] == ["", "fc"] and result.lowest_layer[-1] == "stem"
    for name in result.methods:
        assert len(result.maps[name]) == 4 and result.maps[name][0].shape == (224, 224)
        assert result.correlations[name][0] == pytest.approx(1.0)
    # The true gradient must follow the weights: with every layer random, little is left.
    assert result.correlations["Gradient"][1] < 0.6
    assert result.correlations["Gradient"][-1] < 0.4
    # What Adebayo et al. report: guided backprop ignores the top layer almost entirely.
    assert result.correlations["Guided backprop"][1] > 0.9
    assert "trained" in result.table() and "fc" in result.table()
    # The cascade works on copies: the model itself keeps its trained weights.
    np.testing.assert_allclose(model.predict(cat_image), predictions, rtol=1e-5, atol=1e-7)


def test_cascading_randomization_rejects_bad_input(model, cat_image):
    with pytest.raises(ValueError, match="at least one method"):
        cascading_randomization(model, cat_image, CAT, {})
    with pytest.raises(ValueError, match="batch of 2"):
        cascading_randomization(model, np.stack([cat_image] * 2), CAT, {"Gradient": VanillaGradient})
    with pytest.raises(IndexError, match="out of range"):
        cascading_randomization(model, cat_image, 5000, {"Gradient": VanillaGradient}, steps=1)


def test_composite_halves(model):
    composite = sample_composite(model, "cat", "coffee")
    assert composite.image.shape == (224, 224, 3) and composite.image.dtype == np.float32
    left, right = composite.mask("left"), composite.mask("right")
    assert left.sum() == right.sum() == 224 * 112
    assert not (left & right).any() and (left | right).all()
    assert composite.side_of("coffee") == "right"
    with pytest.raises(KeyError, match="not in this composite"):
        composite.side_of("rocket")
    with pytest.raises(ValueError, match="'left' or 'right'"):
        composite.mask("top")
    # The model sees what is where: the cat half alone is a cat, the coffee half coffee.
    cat_half = np.tile(composite.image[:, :112], (1, 2, 1))
    assert model.predict(cat_half)[0].argmax() in (281, 282, 285)


def test_two_photo_composite_crops_instead_of_squashing():
    tall = np.zeros((300, 100, 3), np.float32)
    tall[:, :, 0] = np.arange(300)[:, None]  # a vertical ramp: a crop keeps its middle
    wide = np.full((50, 400, 3), 200.0, np.float32)
    composite = two_photo_composite(tall, wide, (60, 80), ("tall", "wide"))
    assert composite.image.shape == (60, 80, 3)
    assert composite.image[:, :40, 0].min() > 50 and composite.image[:, :40, 0].max() < 250
    np.testing.assert_allclose(composite.image[:, 40:], 200.0)
    with pytest.raises(ValueError, match="RGB"):
        two_photo_composite(tall[..., 0], wide, (60, 80))


def test_localisation_share():
    mask = np.zeros((4, 4), bool)
    mask[:, :2] = True
    assert localisation_share(np.ones((4, 4)), mask) == pytest.approx(0.5)
    heat = np.zeros((4, 4))
    heat[0, 0] = 3.0
    heat[0, 3] = 1.0
    assert localisation_share(heat, mask) == pytest.approx(0.75)
    assert np.isnan(localisation_share(np.zeros((4, 4)), mask))
    with pytest.raises(ValueError, match="non-negative"):
        localisation_share(-heat, mask)
    with pytest.raises(ValueError, match="differ in shape"):
        localisation_share(heat, mask[:2])


def test_localisation_scores_table(model):
    composite = sample_composite(model, "coffee", "cat")
    assert isinstance(composite, Composite)
    scores = localisation_scores(composite, {"cat": CAT, "coffee": ESPRESSO},
                                 {"Grad-CAM": GradCAM(model), "edges": lambda image, _: edge_map(image)})
    assert set(scores) == {"Grad-CAM", "edges"} and set(scores["edges"]) == {"cat", "coffee"}
    # A map that ignores the class splits the heat: the two shares add up to 1.
    assert scores["edges"]["cat"] + scores["edges"]["coffee"] == pytest.approx(1.0)
    assert min(scores["Grad-CAM"].values()) > 0.75
    assert "Grad-CAM" in format_scores(scores)


def test_the_checks_run_on_an_inception_v3_graph(fake_v3):
    """Same functions, the 2015 graph's layout: Relu ops, conv2d_params kernels, softmax/weights
    as the top layer, 299x299 input."""
    composite = sample_composite(fake_v3, "cat", "coffee")
    assert composite.image.shape == (299, 299, 3)
    result = cascading_randomization(fake_v3, composite.image, 449,
                                     {"Gradient": VanillaGradient, "Grad-CAM": GradCAM}, steps=2)
    assert result.lowest_layer[1] == "softmax" and result.lowest_layer[-1] == "conv"
    assert result.layer_count == len(fake_v3.conv_layer_names) + 1
    assert result.maps["Grad-CAM"][0].shape == (299, 299)
