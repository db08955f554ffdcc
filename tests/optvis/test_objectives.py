"""Objectives: values against hand-computed activations, composition, resolution, errors."""
import numpy as np
import pytest

from inception.optvis import objectives as obj

LAYER = 10  # block3/depthwise: 28x28x144, cheap to reach


@pytest.fixture(scope="module")
def images(cat_image, coffee_image):
    return np.stack([cat_image, coffee_image])


def _pre_activation_values(model, images, layer=LAYER):
    return model.activations(images, [obj.activation_tensor(model, layer).name])[0]


def test_conv_index_resolves_to_the_batch_normed_pre_activation(model):
    assert obj.activation_tensor(model, 24).name == "block8/expand/bn/add:0"
    assert obj.activation_tensor(model, "block8/expand/Conv2D").name == "block8/expand/bn/add:0"
    assert obj.activation_tensor(model, 25).name == "block8/depthwise/bn/add:0"
    # A linear bottleneck with a residual connection stops before the residual add.
    assert obj.activation_tensor(model, 23).name == "block7/project/bn/add:0"
    # An explicit tensor name is used as given.
    assert obj.activation_tensor(model, "block8/expand/Conv2D:0").name == "block8/expand/Conv2D:0"
    assert obj.activation_tensor(model, "block8/expand/Relu6:0").name == "block8/expand/Relu6:0"


def test_resolution_ignores_ops_added_to_the_graph_later(model, images):
    before = obj.activation_tensor(model, 30).name
    model.feature_gradient(30)  # adds a Mean (and gradients) consuming the Conv2D output
    obj.channel(30, 1).gradient_function(model)(images)  # and ours, on the bn output
    assert obj.activation_tensor(model, 30).name == before == "block10/expand/bn/add:0"


def test_channel_is_the_spatial_mean_and_lists_give_one_channel_per_image(model, images):
    acts = _pre_activation_values(model, images)
    np.testing.assert_allclose(obj.channel(LAYER, 7)(model, images), acts[:, :, :, 7].mean(axis=(1, 2)),
                               rtol=1e-4, atol=1e-5)
    per_image = obj.channel(LAYER, [3, 100])(model, images)
    np.testing.assert_allclose(per_image, [acts[0, :, :, 3].mean(), acts[1, :, :, 100].mean()],
                               rtol=1e-4, atol=1e-5)


def test_neuron_reads_one_position(model, images):
    acts = _pre_activation_values(model, images)
    np.testing.assert_allclose(obj.neuron(LAYER, 5)(model, images), acts[:, 14, 14, 5], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(obj.neuron(LAYER, 5, x=3, y=20)(model, images), acts[:, 20, 3, 5],
                               rtol=1e-5, atol=1e-5)


def test_layer_is_the_mean_square(model, images):
    acts = _pre_activation_values(model, images)
    np.testing.assert_allclose(obj.layer(LAYER)(model, images), (acts ** 2).mean(axis=(1, 2, 3)), rtol=1e-4)


def test_class_logit_and_direction(model, images):
    logits = model.run(model.y_logits, images)
    np.testing.assert_allclose(obj.class_logit([281, 967])(model, images), [logits[0, 281], logits[1, 967]],
                               rtol=1e-5)
    unit = np.zeros(144)
    unit[9] = 5.0  # normalised to a unit vector, so this is channel 9
    np.testing.assert_allclose(obj.direction(LAYER, unit)(model, images), obj.channel(LAYER, 9)(model, images),
                               rtol=1e-4, atol=1e-5)


def test_diversity_is_minus_one_for_identical_images_and_higher_otherwise(model, images):
    same = obj.diversity(LAYER)(model, np.stack([images[0], images[0]]))
    np.testing.assert_allclose(same, [-1.0, -1.0], atol=1e-5)
    different = obj.diversity(LAYER)(model, images)
    assert np.all(different > -0.99) and np.all(different <= 0.0)
    assert obj.diversity(LAYER)(model, images[:1])[0] == 0.0


def test_objectives_compose_in_value_and_gradient(model, images):
    a, b, c = obj.channel(LAYER, 7), obj.neuron(LAYER, 5), obj.layer(LAYER)
    combined = a + 2 * b - c / 4
    expected = a(model, images) + 2 * b(model, images) - c(model, images) / 4
    np.testing.assert_allclose(combined(model, images), expected, rtol=1e-4, atol=1e-4)
    grads = [o.gradient_function(model)(images)[1] for o in (a, b, c, combined)]
    np.testing.assert_allclose(grads[3], grads[0] + 2 * grads[1] - grads[2] / 4, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose((-a)(model, images), -a(model, images), rtol=1e-6)


def test_descriptions_read_like_the_expression():
    a, d = obj.channel(24, 5), obj.diversity(24)
    assert (a + 0.5 * d).description == "channel(24, 5) + 0.5 * diversity(24)"
    assert (a - (a + d)).description == "channel(24, 5) - (channel(24, 5) + diversity(24))"
    assert (2 * (a - d)).description == "2 * (channel(24, 5) - diversity(24))"
    assert obj.channel("block8/expand/Conv2D", [1, 2]).description == "channel('block8/expand/Conv2D', [1, 2])"
    assert obj.neuron(3, 1, x=2, y=4).description == "neuron(3, 1, x=2, y=4)"
    assert (-a).description == "-1 * channel(24, 5)"


def test_compiled_once_per_structure_whatever_the_channels(model, images):
    obj.channel(LAYER, [1, 2]).gradient_function(model)(images)
    count = len(model.graph.get_operations())
    obj.channel(LAYER, [50, 60]).gradient_function(model)(images)
    obj.channel(LAYER, 3).gradient_function(model)(images)
    assert len(model.graph.get_operations()) == count


def test_bad_layers_and_channels_give_clear_errors(model, images):
    with pytest.raises(KeyError, match="no layer named 'nope'"):
        obj.channel("nope", 0).check(model)
    with pytest.raises(IndexError, match="49 conv layers"):
        obj.channel(49, 0).check(model)
    with pytest.raises(IndexError, match=r"has 144 channels, so channel must be 0\.\.143"):
        obj.channel(LAYER, 144).gradient_function(model)
    with pytest.raises(IndexError, match=r"1000 classes"):
        obj.class_logit(1000).check(model)
    with pytest.raises(IndexError, match="outside"):
        obj.neuron(LAYER, 0, x=28).check(model)
    with pytest.raises(ValueError, match="144 channels"):
        obj.direction(LAYER, np.ones(10)).check(model)
    with pytest.raises(ValueError, match="convolutional"):
        obj.channel("logits", 0).check(model)
    with pytest.raises(ValueError, match="scores 3 images .* but the batch has 2"):
        obj.channel(LAYER, [1, 2, 3])(model, images)
    with pytest.raises(TypeError, match="integer"):
        obj.channel(LAYER, 1.5)
    with pytest.raises(ValueError, match="cannot combine"):
        obj.channel(LAYER, [1, 2]) + obj.channel(LAYER, [1, 2, 3])
    with pytest.raises(TypeError):
        obj.channel(LAYER, 1) + 1
    with pytest.raises(TypeError):
        obj.channel(LAYER, 1) * obj.channel(LAYER, 2)
    with pytest.raises(ValueError, match="non-zero"):
        obj.direction(LAYER, np.zeros(144))


def test_inception_v3_layers_resolve_to_the_folded_batch_norm(fake_v3):
    first = fake_v3.conv_layer_names[0]  # "conv/Conv2D"
    tensor = obj.activation_tensor(fake_v3, 0)
    assert tensor.name == first.rsplit("/", 1)[0] + "/batchnorm:0"
    assert [op.type for op in tensor.consumers()] == ["Relu"]
    images = np.random.default_rng(0).uniform(0, 255, (2, 299, 299, 3)).astype(np.float32)
    values, gradient = obj.channel(0, [1, 2]).gradient_function(fake_v3)(images)
    assert values.shape == (2,) and gradient.shape == (2, 299, 299, 3) and np.any(gradient)
