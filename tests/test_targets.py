"""Targets: the scalar per image that every attribution method explains."""
import numpy as np
import pytest

from inception.backprop import target_gradients, target_values
from inception.targets import Channel, ClassLogit, LogitDifference, as_target, top_classes


def test_class_logit_is_the_logit_column(model, cat_image, coffee_image):
    batch = np.stack([cat_image, coffee_image])
    logits = model.run(model.y_logits, batch)
    np.testing.assert_allclose(target_values(model, ClassLogit(285), batch), logits[:, 285], rtol=1e-5)
    # Called directly, a target is the (batch,) tensor it stands for.
    tensor_fn = model.compiled("test_targets/class_967", lambda: ([], [ClassLogit(967)(model)]))
    np.testing.assert_allclose(tensor_fn(batch)[0], logits[:, 967], rtol=1e-5)


def test_logit_difference(model, cat_image):
    logits = model.run(model.y_logits, cat_image)[0]
    value = target_values(model, LogitDifference(285, 282), cat_image)[0]
    assert value == pytest.approx(logits[285] - logits[282], rel=1e-5)
    assert value > 0  # Egyptian cat wins over tiger cat on this photo


def test_channel_is_the_spatial_mean_of_one_channel(model, cat_image):
    layer = model.conv_layer_names[10]
    activation = model.activations(cat_image, [layer])[0][0]
    for channel in (0, 7):
        value = target_values(model, Channel(layer, channel), cat_image)[0]
        assert value == pytest.approx(activation[..., channel].mean(), rel=1e-4, abs=1e-6)
    # A conv id means the same layer as its name.
    assert target_values(model, Channel(10, 7), cat_image)[0] == pytest.approx(
        target_values(model, Channel(layer, 7), cat_image)[0])


def test_all_classes_share_one_set_of_gradient_ops(model, cat_image):
    target_gradients(model, ClassLogit(1), cat_image)
    ops = len(model.graph.get_operations())
    for cls in (2, 500, 999):
        target_gradients(model, ClassLogit(cls), cat_image)
    target_gradients(model, LogitDifference(3, 4), cat_image)
    assert len(model.graph.get_operations()) == ops


def test_top_classes(model, cat_image, coffee_image):
    assert top_classes(model, cat_image, 3) == [285, 282, 281]
    assert top_classes(model, coffee_image, 1) == [967]


def test_as_target_accepts_class_numbers():
    assert as_target(285) == ClassLogit(285)
    assert as_target(np.int64(3)) == ClassLogit(3)
    target = Channel("stem/Relu6", 1)
    assert as_target(target) is target
    with pytest.raises(TypeError, match="target"):
        as_target("cat")


@pytest.mark.parametrize("target, error, message", [
    (ClassLogit(1000), IndexError, r"0\.\.999"),
    (ClassLogit(-1), IndexError, "out of range"),
    (LogitDifference(5, 1000), IndexError, r"0\.\.999"),
    (Channel("stem/Relu6", 32), IndexError, r"32 channels.*0\.\.31"),
    (Channel("no/such/layer", 0), KeyError, "no layer named"),
    (Channel(10_000, 0), IndexError, "conv_id 10000 is out of range"),
    (Channel("logits", 0), ValueError, "needs a \\(batch, height, width, channels\\) layer"),
])
def test_targets_that_do_not_fit_the_model(model, cat_image, target, error, message):
    with pytest.raises(error, match=message):
        target.check(model)
    with pytest.raises(error, match=message):
        target_gradients(model, target, cat_image)


@pytest.mark.parametrize("make, error", [
    (lambda: ClassLogit(2.5), TypeError),
    (lambda: ClassLogit(True), TypeError),
    (lambda: ClassLogit("285"), TypeError),
    (lambda: Channel("stem/Relu6", 1.0), TypeError),
    (lambda: Channel(1.5, 1), TypeError),
    (lambda: LogitDifference(7, 7), ValueError),
])
def test_targets_reject_wrong_types(make, error):
    with pytest.raises(error):
        make()


def test_labels(model):
    assert ClassLogit(285).label(model) == "Egyptian cat (#285)"
    assert LogitDifference(285, 967).label(model) == "Egyptian cat - espresso"
    assert Channel("stem/Relu6", 3).label(model) == "stem/Relu6 channel 3"
