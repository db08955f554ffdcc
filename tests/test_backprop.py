"""The ReLU backward rules: forward pass untouched, backward signal as each rule says."""
import numpy as np
import pytest

from inception.backprop import (DECONVNET, GUIDED, RELU_OP_TYPES, RULES, VANILLA, ModelVariants,
                                VariantGraph, backward_rule, classifier_graph_def, model_variants,
                                target_gradients, weight_tensor_names)
from inception.targets import Channel, ClassLogit


def relu_inputs(model, count=3):
    """Pre-activation tensors of a few ReLUs spread over the depth."""
    relus = [op for op in model.graph.get_operations() if op.type in RELU_OP_TYPES]
    picks = np.linspace(0, len(relus) - 1, count).round().astype(int)
    return [relus[i].inputs[0].name for i in picks]


def test_the_three_rules_are_two_switches():
    assert (VANILLA.mask_by_input, VANILLA.mask_by_gradient) == (True, False)
    assert (DECONVNET.mask_by_input, DECONVNET.mask_by_gradient) == (False, True)
    assert (GUIDED.mask_by_input, GUIDED.mask_by_gradient) == (True, True)
    assert backward_rule("guided") is GUIDED
    assert set(RULES) == {"vanilla", "deconvnet", "guided"}
    with pytest.raises(ValueError, match="unknown backward rule 'zeiler'.*vanilla, deconvnet, guided"):
        backward_rule("zeiler")


@pytest.mark.parametrize("rule", ["vanilla", "deconvnet", "guided"])
def test_the_override_changes_nothing_in_the_forward_pass(model, cat_image, coffee_image, rule):
    variant = VariantGraph(model, rule)
    try:
        overridden = [op for op in variant.graph.get_operations() if op.type in RELU_OP_TYPES]
        assert len(overridden) == 33
        assert all(op.get_attr("_gradient_op_type") == f"InceptionReluBackward_{rule}".encode()
                   for op in overridden)
        batch = np.stack([cat_image, coffee_image])
        tensors = [model.y_logits.name] + [name + ":0" for name in
                                           (model.conv_layer_names[0], "block7/depthwise/Relu6", "head/Relu6")]
        expected = model.run(tensors, batch)
        found = variant.session.run(tensors, {variant.resized_image: batch})
        for e, f in zip(expected, found):
            # The same ops on the same constants; only float rounding of multi-threaded
            # reductions may differ between two sessions (seen: 2e-6 relative, under load).
            np.testing.assert_allclose(e, f, rtol=1e-5, atol=1e-6)
        # Structurally identical: every op of the classifier, same type, same inputs.
        ours = {n.name: (n.op, tuple(n.input)) for n in variant.graph.as_graph_def().node}
        theirs = {n.name: (n.op, tuple(n.input)) for n in classifier_graph_def(model).node}
        assert ours == theirs
    finally:
        variant.close()


def test_the_vanilla_rule_is_the_true_gradient(model, cat_image):
    """Installed through the same override, the vanilla rule must reproduce TensorFlow's own
    ReLU6 gradient: the mechanism adds nothing of its own."""
    variant = VariantGraph(model, "vanilla")
    try:
        _, _, ours = target_gradients(variant, 285, cat_image)
        _, _, tensorflows = target_gradients(model, 285, cat_image)
        np.testing.assert_allclose(ours, tensorflows, rtol=1e-5, atol=1e-9)
    finally:
        variant.close()


def test_guided_and_deconvnet_send_back_only_non_negative_signals(model, cat_image):
    """Just below every ReLU the guided and deconvnet signals are >= 0 (both rectify the
    gradient); the true gradient has both signs there, so the check can fail."""
    variants = model_variants(model)
    for name in relu_inputs(model):
        _, _, vanilla = target_gradients(model, 285, cat_image, wrt=name)
        assert (vanilla < 0).any() and (vanilla > 0).any(), name
        for rule in ("guided", "deconvnet"):
            _, _, signal = target_gradients(variants.net(rule), 285, cat_image, wrt=name)
            assert signal.min() >= 0, (rule, name)
            assert signal.max() > 0, (rule, name)


def test_deconvnet_ignores_the_forward_mask_and_guided_keeps_it(model, cat_image):
    variants = model_variants(model)
    name = relu_inputs(model)[1]
    pre_activation = model.run(name, cat_image)
    inactive = (pre_activation <= 0) | (pre_activation >= 6)  # where ReLU6 has zero derivative
    _, _, guided = target_gradients(variants.net("guided"), 285, cat_image, wrt=name)
    _, _, deconvnet = target_gradients(variants.net("deconvnet"), 285, cat_image, wrt=name)
    _, _, vanilla = target_gradients(model, 285, cat_image, wrt=name)
    assert np.all(guided[inactive] == 0) and np.all(vanilla[inactive] == 0)
    assert np.any(deconvnet[inactive] > 0)


def test_at_the_top_relu_guided_is_the_positive_part_of_the_gradient(model, cat_image):
    """Above the last ReLU there is no other ReLU, so the signal arriving there is the same for
    every rule; guided then keeps its positive part where the ReLU was active."""
    name = relu_inputs(model)[-1]
    assert name.startswith("head/")
    _, _, vanilla = target_gradients(model, 285, cat_image, wrt=name)
    _, _, guided = target_gradients(model_variants(model).net("guided"), 285, cat_image, wrt=name)
    np.testing.assert_allclose(guided, np.maximum(vanilla, 0), rtol=1e-6, atol=1e-12)


def test_variants_are_built_once(model):
    variants = model_variants(model)
    assert model_variants(model) is variants
    assert model_variants(variants) is variants
    assert variants.net("vanilla") is model  # constant weights: the true gradient is the model's
    assert variants.net("guided") is variants.net(GUIDED)
    with pytest.raises(TypeError, match="inception.Inception"):
        model_variants("efficientnet-lite0")


def test_variable_weights_can_be_replaced_and_restored(model, cat_image):
    variants = ModelVariants(model, variable_weights=True)
    try:
        names = variants.weight_names
        assert len(names) == 50 and names[0] == "stem/weights:0" and names[-1] == "fc/weights:0"
        net = variants.net("guided")
        trained = model.predict(cat_image)
        np.testing.assert_allclose(net.predict(cat_image), trained, atol=1e-5)
        fc = variants.trained_weight("fc/weights:0")
        variants.set_weights({"fc/weights:0": np.zeros_like(fc)})
        # Zero classifier weights leave only the biases: far from the trained scores.
        assert np.abs(net.predict(cat_image) - trained).max() > 0.5
        assert variants.net("vanilla").predict(cat_image)[0].argmax() != 285  # later nets follow
        variants.reset_weights()
        np.testing.assert_allclose(net.predict(cat_image), trained, atol=1e-5)
        np.testing.assert_allclose(model.predict(cat_image), trained, rtol=1e-5, atol=1e-7)  # untouched
        with pytest.raises(ValueError, match="needs shape"):
            variants.set_weights({"fc/weights:0": np.zeros((2, 2), np.float32)})
        with pytest.raises(KeyError, match="not variable weights"):
            net.set_weights({"nope:0": fc})
        with pytest.raises(KeyError, match="not a variable weight"):
            variants.trained_weight("nope:0")
    finally:
        variants.close()
    with pytest.raises(RuntimeError, match="variable_weights=True"):
        model_variants(model).set_weights({})


def test_variant_layer_errors_read_like_the_models(model):
    net = model_variants(model).net("guided")
    with pytest.raises(KeyError, match="no layer named"):
        net.layer_tensor("block99/Relu6")
    with pytest.raises(IndexError, match="out of range"):
        net.layer_tensor(999)
    assert net.layer_tensor("head/Relu6").graph is net.graph


def test_a_target_must_depend_on_the_layer(model, cat_image):
    ops = len(model.graph.get_operations())
    for _ in range(3):
        with pytest.raises(ValueError, match="does not depend on head/Relu6"):
            target_gradients(model, Channel("block3/expand/Relu6", 0), cat_image, wrt="head/Relu6")
    assert len(model.graph.get_operations()) == ops  # a refused request builds nothing


def test_inception_v3_graph_gets_the_same_treatment(fake_v3):
    """The 2015 graph's ReLUs are 'Relu' ops named like their layer ('conv', 'mixed/conv')."""
    image = np.random.default_rng(0).uniform(0, 255, (299, 299, 3)).astype(np.float32)
    guided = model_variants(fake_v3).net("guided")
    relus = [op for op in guided.graph.get_operations() if op.type == "Relu"]
    assert {op.name for op in relus} >= {"conv", "mixed/conv", "mixed_10/tower_2/conv"}
    assert all(op.get_attr("_gradient_op_type") == b"InceptionReluBackward_guided" for op in relus)
    np.testing.assert_allclose(guided.predict(image), fake_v3.predict(image), rtol=1e-5, atol=1e-7)
    _, _, signal = target_gradients(guided, ClassLogit(449), image, wrt="mixed/conv/batchnorm:0")
    assert signal.min() >= 0 and signal.max() > 0
    names = weight_tensor_names(fake_v3.graph)
    assert names[0] == "conv/conv2d_params:0" and names[-1] == "softmax/weights:0"
    assert len(names) == len(fake_v3.conv_layer_names) + 1
