"""Saliency methods: shapes, signs, the properties each method promises, bad input, no growth."""
import os
import warnings

import numpy as np
import pytest

from inception.backprop import model_variants, target_values
from inception.saliency import (Deconvnet, GuidedBackprop, IntegratedGradients, SmoothGrad,
                                VanillaGradient, reduce_channels)
from inception.sanity import rank_correlation, sample_composite
from inception.targets import Channel, ClassLogit

CAT, ESPRESSO = 285, 967


def resident_bytes() -> int:
    """Resident set size now (``/proc/self/statm``; ``ru_maxrss`` only ever grows)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def gradient_methods(model):
    return [VanillaGradient(model), Deconvnet(model), GuidedBackprop(model)]


def test_heatmaps_have_the_inputs_spatial_shape(model, cat_image, gradient_methods):
    methods = gradient_methods + [SmoothGrad(model, samples=2), IntegratedGradients(model, steps=2)]
    for method in methods:
        attribution = method.attribution(cat_image, CAT)
        heatmap = method(cat_image, CAT)
        assert attribution.shape == cat_image.shape, method
        assert heatmap.shape == cat_image.shape[:2], method
        assert np.isfinite(heatmap).all() and heatmap.min() >= 0 and heatmap.max() > 0, method
        batch = method.attributions(np.stack([cat_image, cat_image]), ClassLogit(CAT))
        assert batch.shape == (2, *cat_image.shape)


def test_the_three_rules_give_three_different_maps(model, cat_image, gradient_methods):
    maps = [m(cat_image, CAT) for m in gradient_methods]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.allclose(maps[i], maps[j])
    assert [m.rule for m in gradient_methods] == ["vanilla", "deconvnet", "guided"]
    assert gradient_methods[0].net is model and gradient_methods[2].net is model_variants(model).net("guided")


def test_gradients_are_class_specific(model):
    """On a cat | coffee composite, the gradient for 'Egyptian cat' and for 'espresso' rank the
    pixels differently; deconvnet barely depends on the class (a known weakness)."""
    image = sample_composite(model, "cat", "coffee").image
    vanilla = VanillaGradient(model)
    assert rank_correlation(vanilla(image, CAT), vanilla(image, ESPRESSO)) < 0.8
    deconvnet = Deconvnet(model)
    assert rank_correlation(deconvnet(image, CAT), deconvnet(image, ESPRESSO)) > 0.9


def test_smoothgrad_without_noise_is_the_gradient(model, cat_image):
    vanilla = VanillaGradient(model)
    smooth = SmoothGrad(vanilla, samples=3, noise_level=0.0)
    np.testing.assert_allclose(smooth.attribution(cat_image, CAT), vanilla.attribution(cat_image, CAT),
                               rtol=1e-4, atol=1e-9)


def test_smoothgrad_is_reproducible_and_stable(model, cat_image):
    """SmoothGrad's promise: a tiny change of the image (noise of 2/255) changes the raw gradient's
    ranking of pixels a lot (Spearman 0.36 here) and SmoothGrad's much less (0.65 at 16 samples)."""
    smooth = SmoothGrad(model, samples=16, seed=1)
    first = smooth.attribution(cat_image, CAT)
    np.testing.assert_allclose(first, smooth.attribution(cat_image, CAT), rtol=1e-4, atol=1e-10)
    assert not np.allclose(first, SmoothGrad(model, samples=16, seed=2).attribution(cat_image, CAT))

    nudged = cat_image + np.random.default_rng(5).normal(0, 2, cat_image.shape).astype(np.float32)
    vanilla = VanillaGradient(model)
    raw_stability = rank_correlation(vanilla(cat_image, CAT), vanilla(nudged, CAT))
    smooth_stability = rank_correlation(smooth(cat_image, CAT), smooth(nudged, CAT))
    assert smooth_stability > raw_stability + 0.15

    guided_smooth = SmoothGrad(GuidedBackprop(model), samples=2)
    assert guided_smooth.label == "SmoothGrad (Guided backprop)"
    assert guided_smooth.method.rule == "guided"


def test_integrated_gradients_add_up_to_the_logit_change(model, cat_image, monkeypatch):
    """Completeness: sum of attributions = f(image) - f(baseline), up to the Riemann-sum error,
    which shrinks with the number of steps but not monotonically on this ReLU6 network (on this
    photo: 71% off at 16 steps, 29% at 64, 8% at 128, 0.4% at 256; 5% allowed)."""
    monkeypatch.delenv("INCEPTION_MAX_ITERATIONS", raising=False)
    method = IntegratedGradients(model, steps=256, baseline=0.0, batch_size=32)
    total = method.attribution(cat_image, CAT).sum()
    change = np.subtract(*target_values(model, CAT, np.stack([cat_image, method.baseline])))
    assert change > 5
    assert total == pytest.approx(change, rel=0.05)


def test_one_step_integrated_gradients_is_gradient_times_input_at_the_midpoint(model, cat_image):
    baseline = np.full(cat_image.shape, 100.0, np.float32)
    method = IntegratedGradients(model, steps=1, baseline=baseline)
    midpoint = (baseline + cat_image) / 2
    expected = (cat_image - baseline) * VanillaGradient(model).attribution(midpoint, CAT)
    np.testing.assert_allclose(method.attribution(cat_image, CAT), expected, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(method.path_points(), [0.5])


def test_sample_counts_follow_the_iteration_cap(model, monkeypatch):
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cap announces itself once per process
        assert SmoothGrad(model, samples=50).samples == 3
        assert IntegratedGradients(model, steps=50).steps == 3
    monkeypatch.delenv("INCEPTION_MAX_ITERATIONS")
    assert SmoothGrad(model, samples=50).samples == 50


def test_channel_targets_work_too(model, cat_image):
    heatmap = GuidedBackprop(model)(cat_image, Channel("block5/expand/Relu6", 3))
    assert heatmap.shape == (224, 224) and heatmap.max() > 0


def test_reduce_channels():
    attribution = np.zeros((2, 2, 3))
    attribution[0, 0] = [1.0, -3.0, 1.0]
    np.testing.assert_allclose(reduce_channels(attribution, "abs_max")[0, 0], 3.0)
    np.testing.assert_allclose(reduce_channels(attribution, "abs_sum")[0, 0], 1.0)
    with pytest.raises(ValueError, match="unknown channel reduction"):
        reduce_channels(attribution, "mean")
    with pytest.raises(ValueError, match="3 colour channels"):
        reduce_channels(np.zeros((4, 4)))


@pytest.mark.parametrize("image, error, message", [
    (np.zeros((100, 100, 3), np.float32), ValueError, r"shape \(224, 224, 3\)"),
    (np.zeros((224, 224), np.float32), ValueError, "shape"),
    (np.zeros((2, 224, 224, 3), np.float32), ValueError, "batch of 2"),
    ("cat.jpg", TypeError, "path"),
    (np.full((224, 224, 3), np.nan, np.float32), ValueError, "NaN"),
    (np.array([["a"] * 3] * 2), TypeError, "RGB image array"),
])
def test_bad_images(model, image, error, message):
    with pytest.raises(error, match=message):
        GuidedBackprop(model)(image, CAT)


def test_bad_targets_and_settings(model, cat_image):
    with pytest.raises(IndexError, match="out of range"):
        VanillaGradient(model)(cat_image, 1000)
    with pytest.raises(TypeError, match="target"):
        VanillaGradient(model)(cat_image, "Egyptian cat")
    with pytest.raises(ValueError, match="samples"):
        SmoothGrad(model, samples=0)
    with pytest.raises(ValueError, match="noise_level"):
        SmoothGrad(model, noise_level=15)
    with pytest.raises(ValueError, match="steps"):
        IntegratedGradients(model, steps=2.5)
    with pytest.raises(ValueError, match="shape"):
        IntegratedGradients(model, baseline=np.zeros((10, 10, 3)))


def test_200_calls_grow_neither_the_graphs_nor_memory(model, cat_image):
    """A leak of even one gradient-sized array (0.6 MB) per call would add 120 MB over 200
    calls. We measured under 1 MB of growth and allow 20 MB for allocator caches settling."""
    vanilla, guided = VanillaGradient(model), GuidedBackprop(model)
    graphs = [model.graph, guided.net.graph]

    def calls(count):
        for i in range(count):
            method = (vanilla, guided)[i % 2]
            method(cat_image, CAT if i % 4 < 2 else ESPRESSO)  # other classes: still the same ops

    calls(20)
    ops = [len(g.get_operations()) for g in graphs]
    before = resident_bytes()
    calls(200)
    assert [len(g.get_operations()) for g in graphs] == ops
    assert resident_bytes() - before < 20e6
