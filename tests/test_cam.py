"""Grad-CAM and Guided Grad-CAM: the layer rule, the CAM identity, localisation, bad input."""
import os

import numpy as np
import pytest

from inception.cam import CAMBase, GradCAM, GuidedGradCAM, default_cam_layer, upsample
from inception.saliency import GuidedBackprop
from inception.sanity import localisation_share, sample_composite
from inception.targets import Channel, ClassLogit, LogitDifference

CAT, ESPRESSO = 285, 967
# Chance is 0.5 (a map blind to the class splits 1.0 between the two photos). Measured on
# EfficientNet-Lite0: 0.88 to 0.94 for the four (composite, class) pairs. 0.75 sits well
# above chance and leaves room for numeric differences between TensorFlow builds.
LOCALISATION_THRESHOLD = 0.75


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def grad_cam(model):
    return GradCAM(model)


def test_default_layer_is_the_map_the_global_pool_reads(model, grad_cam):
    assert default_cam_layer(model) == "head/Relu6:0"
    assert grad_cam.layer == "head/Relu6:0"
    assert model.transfer_layer.op.inputs[0].name == grad_cam.layer


def test_heatmap_shape_and_sign(model, cat_image, grad_cam):
    heatmap = grad_cam(cat_image, CAT)
    assert heatmap.shape == cat_image.shape[:2]
    assert heatmap.min() >= 0 and heatmap.max() > 0 and np.ptp(heatmap) > 0
    coarse = grad_cam.coarse_maps(cat_image, CAT)
    assert coarse.shape == (1, 7, 7)
    assert heatmap.max() <= coarse.max() + 1e-6  # bilinear upsampling never overshoots


def test_grad_cam_weights_are_the_classifier_weights_here(model, cat_image, grad_cam):
    """Logits = fc(mean over the 7x7 positions of A = head/Relu6), so d logit / d A is
    fc[:, c] / 49 at every position: Grad-CAM is exactly CAM (Zhou et al. 2016) here."""
    maps, gradients = grad_cam.maps_and_gradients(cat_image, CAT)
    fc = model.session.run("fc/weights:0")[:, CAT]
    np.testing.assert_allclose(gradients[0], np.broadcast_to(fc / 49, gradients[0].shape), rtol=1e-5)
    np.testing.assert_allclose(grad_cam.channel_weights(maps, gradients)[0], fc / 49, rtol=1e-5)


def test_coarse_map_is_the_rectified_weighted_sum(cat_image, grad_cam):
    maps, gradients = grad_cam.maps_and_gradients(cat_image, CAT)
    weights = gradients.mean(axis=(1, 2))[0]
    expected = np.maximum((maps[0] * weights).sum(axis=-1), 0)
    np.testing.assert_allclose(grad_cam.coarse_maps(cat_image, CAT)[0], expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("left, right", [("cat", "coffee"), ("coffee", "cat")])
def test_grad_cam_finds_each_photo_on_two_photo_composites(model, grad_cam, left, right):
    composite = sample_composite(model, left, right)
    for photo, cls in (("cat", CAT), ("coffee", ESPRESSO)):
        share = localisation_share(grad_cam(composite.image, cls),
                                   composite.mask(composite.side_of(photo)))
        assert share > LOCALISATION_THRESHOLD, (left, right, photo, share)


def test_top1_and_top2_classes_on_a_two_object_image(model, grad_cam):
    """On cat | coffee the two classes light up opposite halves; their difference keeps the cat."""
    composite = sample_composite(model, "cat", "coffee")
    cat_map, coffee_map = grad_cam(composite.image, CAT), grad_cam(composite.image, ESPRESSO)
    left, right = composite.mask("left"), composite.mask("right")
    assert cat_map[left].sum() > cat_map[right].sum()
    assert coffee_map[right].sum() > coffee_map[left].sum()
    contrast = grad_cam(composite.image, LogitDifference(CAT, ESPRESSO))
    assert localisation_share(contrast, left) > LOCALISATION_THRESHOLD


def test_guided_grad_cam_is_guided_backprop_inside_the_cam(model, cat_image):
    guided_cam = GuidedGradCAM(model)
    attribution = guided_cam.attribution(cat_image, CAT)
    cam = GradCAM(model)(cat_image, CAT)
    guided = GuidedBackprop(model).attribution(cat_image, CAT)
    np.testing.assert_allclose(attribution, guided * cam[..., None], rtol=1e-5, atol=1e-12)
    heatmap = guided_cam(cat_image, CAT)  # __call__ uses the subclass's heatmap
    assert heatmap.shape == (224, 224) and heatmap.min() >= 0
    assert np.all(heatmap[cam == 0] == 0)


def test_other_layers_and_channel_targets(model, cat_image):
    earlier = GradCAM(model, layer="block13/expand/Relu6")
    assert earlier.coarse_maps(cat_image, CAT).shape == (1, 7, 7)
    by_id = GradCAM(model, layer=40)
    assert by_id.layer == model.conv_layer_names[40] + ":0"
    deeper_channel = Channel("block15/depthwise/Relu6", 5)
    assert earlier(cat_image, deeper_channel).shape == (224, 224)


def test_bad_layers_and_targets(model, cat_image, grad_cam):
    with pytest.raises(KeyError, match="no layer named"):
        GradCAM(model, layer="mixed_10/join")  # an Inception v3 name on EfficientNet
    with pytest.raises(IndexError, match="out of range"):
        GradCAM(model, layer=49)
    with pytest.raises(ValueError, match="height, width, channels"):
        GradCAM(model, layer="pool")
    with pytest.raises(ValueError, match="does not depend on head/Relu6"):
        grad_cam(cat_image, Channel("block3/expand/Relu6", 0))
    with pytest.raises(IndexError, match="out of range"):
        grad_cam(cat_image, ClassLogit(1000))
    with pytest.raises(ValueError, match="shape"):
        grad_cam(np.zeros((299, 299, 3), np.float32), CAT)
    with pytest.raises(ValueError, match="batch of 2"):
        grad_cam(np.stack([cat_image, cat_image]), CAT)
    with pytest.raises(TypeError):
        CAMBase(model)  # the base leaves the channel weights to subclasses


def test_upsample():
    coarse = np.arange(4, dtype=np.float32).reshape(2, 2)
    fine = upsample(coarse, (8, 6))
    assert fine.shape == (8, 6)
    assert fine.min() >= 0 and fine.max() <= 3
    assert fine[0, 0] == pytest.approx(0) and fine[-1, -1] == pytest.approx(3)
    assert upsample(np.stack([coarse, coarse]), (4, 4)).shape == (2, 4, 4)


def test_200_calls_grow_neither_the_graph_nor_memory(model, cat_image, grad_cam):
    """One leaked feature map or heatmap per call (0.25 MB) would add 50 MB over 200 calls.
    We measured under 0.1 MB of growth and allow 20 MB for allocator caches settling."""
    def calls(count):
        for i in range(count):
            grad_cam(cat_image, CAT if i % 2 else ESPRESSO)

    calls(20)
    ops = len(model.graph.get_operations())
    before = resident_bytes()
    calls(200)
    assert len(model.graph.get_operations()) == ops
    assert resident_bytes() - before < 20e6


def test_inception_v3_uses_the_concat_before_pool_3(fake_v3):
    """The layer rule needs no model names: on an Inception v3-shaped graph it finds mixed_10/join."""
    image = np.random.default_rng(0).uniform(0, 255, (299, 299, 3)).astype(np.float32)
    cam = GradCAM(fake_v3)
    assert cam.layer == "mixed_10/join:0"
    assert cam.coarse_maps(image, 449).shape == (1, 8, 8)
    heatmap = GuidedGradCAM(fake_v3)(image, ClassLogit(449))
    assert heatmap.shape == (299, 299) and heatmap.min() >= 0
