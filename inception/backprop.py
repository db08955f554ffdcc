"""The backward rule of every ReLU: one mechanism, three settings.

Seed 002 (cs231n lecture notes, after Springenberg et al. 2015, figure 1) draws
four pictures of the same ReLU. Forward (b1) it zeroes negative inputs. Going
backward, a gradient ``g`` arrives at its output and three rules are in use:

=================  =============================================  =========================
rule               what goes back                                  ``mask_by_input``,
                                                                   ``mask_by_gradient``
=================  =============================================  =========================
b2 ``vanilla``     ``g`` where the forward input was positive      True, False
                   (true calculus: the saliency gradient)
b3 ``deconvnet``   ``g`` where ``g`` itself is positive            False, True
                   (Zeiler & Fergus: ReLU applied to the signal)
b4 ``guided``      ``g`` where both are positive                   True, True
=================  =============================================  =========================

So a rule is just two switches (:class:`BackwardRule`). For ``Relu6`` (the
EfficientNet-Lite0 activation) "the forward input was positive" becomes
``0 < x < 6``, where the op's own derivative is 1. Max pooling needs no new
rule: its gradient already sends the signal back to the position that won the
forward pass, which is exactly the deconvnet's "switches".

How the rule is installed: TensorFlow looks up an op's gradient function by
the op's type, unless the op carries the attribute ``_gradient_op_type`` (what
``tf.Graph.gradient_override_map`` sets). We copy the model's frozen GraphDef,
give every ``Relu``/``Relu6`` node that attribute pointing to one of three
gradient functions registered below, and import the copy into its own graph
and session: the forward computation is the same ops on the same constants (a
test compares the graphs and the outputs), only ``tf.gradients`` sees different
ReLUs. Each variant is built
once per model and cached (:func:`model_variants`).

:class:`ModelVariants` can also import the graph with its conv and fully
connected weights held in variables, so :mod:`inception.sanity` can overwrite
them with random values and put them back without building anything new.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np

from .graph_utils import keep_ancestors, subgraph
from .model import CompiledFunction, GraphRunner, Inception
from .targets import Network, Target, as_target

RELU_OP_TYPES = ("Relu", "Relu6")
WEIGHTED_OP_TYPES = ("Conv2D", "DepthwiseConv2dNative", "MatMul")
GRADIENT_NAME_PREFIX = "InceptionReluBackward_"


@dataclass(frozen=True)
class BackwardRule:
    """What the backward pass through a ReLU lets through (see the module docstring)."""

    name: str
    mask_by_input: bool
    mask_by_gradient: bool

    @property
    def gradient_name(self) -> str:
        return GRADIENT_NAME_PREFIX + self.name

    def backward(self, op, grad):
        """The gradient a ReLU (or ReLU6) ``op`` sends to its input, given ``grad`` at its output."""
        import tensorflow as tf

        if self.mask_by_input:
            x = op.inputs[0]
            passes = x > 0
            if op.type == "Relu6":
                passes = tf.logical_and(passes, x < 6)
            grad = tf.where(passes, grad, tf.zeros_like(grad))
        if self.mask_by_gradient:
            grad = tf.nn.relu(grad)
        return grad


VANILLA = BackwardRule("vanilla", mask_by_input=True, mask_by_gradient=False)
DECONVNET = BackwardRule("deconvnet", mask_by_input=False, mask_by_gradient=True)
GUIDED = BackwardRule("guided", mask_by_input=True, mask_by_gradient=True)
RULES = {rule.name: rule for rule in (VANILLA, DECONVNET, GUIDED)}


def backward_rule(rule: str | BackwardRule) -> BackwardRule:
    """Look up a rule by name ('vanilla', 'deconvnet', 'guided') with a clear error."""
    if isinstance(rule, BackwardRule):
        return rule
    if rule not in RULES:
        raise ValueError(f"unknown backward rule {rule!r}; choose one of {', '.join(RULES)}")
    return RULES[rule]


_registered = False


def register_gradients() -> None:
    """Register the three rules with TensorFlow, once (on first use, so that importing the
    package does not import TensorFlow)."""
    global _registered
    if _registered:
        return
    import tensorflow as tf

    for rule in RULES.values():
        try:
            tf.RegisterGradient(rule.gradient_name)(lambda op, grad, rule=rule: rule.backward(op, grad))
        except KeyError:
            pass  # already registered (the module was re-imported, e.g. by autoreload)
    _registered = True


# ------------------------------------------------------------------ graph rewriting
def with_backward_rule(graph_def, rule: str | BackwardRule):
    """A copy of ``graph_def`` whose ReLU/ReLU6 nodes use ``rule`` in the backward pass."""
    import tensorflow as tf

    rule = backward_rule(rule)
    register_gradients()
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        if node.op in RELU_OP_TYPES:
            node.attr["_gradient_op_type"].s = rule.gradient_name.encode()
    return out


def weight_tensor_names(graph) -> list[str]:
    """Constant kernels of the conv, depthwise conv and fully connected ops, in graph order."""
    names = []
    for op in graph.get_operations():
        if op.type in WEIGHTED_OP_TYPES and op.inputs[1].op.type == "Const":
            names.append(op.inputs[1].name)
    return list(dict.fromkeys(names))


def _model_outputs(model: Inception) -> list[str]:
    return [model.y_logits.op.name, model.y_pred.op.name, model.transfer_layer.op.name]


def classifier_graph_def(model: Inception):
    """The model's GraphDef without what other functions added (gradients, objectives):
    only the nodes its logits, softmax and transfer layer are computed from."""
    return keep_ancestors(model.graph.as_graph_def(), _model_outputs(model))


class VariantGraph(GraphRunner):
    """The model's frozen graph, imported again with one ReLU backward rule.

    It has the members of :class:`inception.Inception` that the methods use
    (``graph``, ``session``, ``resized_image``, ``y_logits``, ``y_pred``,
    ``layer_tensor``, ``prepare_images``, ``compiled``, ...), so every method
    runs unchanged on the model or on a variant. Layer names and class numbers
    are validated by the model, so errors read the same.
    """

    def __init__(self, model: Inception, rule: str | BackwardRule,
                 variable_weights: Sequence[str] = ()):
        import tensorflow as tf

        self.model = model
        self.rule = backward_rule(rule)
        self.name = model.name
        self.num_classes = model.num_classes
        self.input_size = model.input_size
        self.name_lookup = model.name_lookup
        self.conv_layer_names = list(model.conv_layer_names)

        graph_def = with_backward_rule(classifier_graph_def(model), self.rule)
        constants = {node.name: node for node in graph_def.node}
        variable_names = [name.split(":")[0] for name in variable_weights]
        self.graph = tf.Graph()
        self._weight_feeds: dict[str, tuple] = {}
        with self.graph.as_default():
            input_map = {}
            with tf.name_scope("variable_weights"):
                for name in variable_names:
                    value = tf.make_ndarray(constants[name].attr["value"].tensor)
                    initial = tf.compat.v1.placeholder(tf.as_dtype(value.dtype), value.shape)
                    variable = tf.Variable(initial, trainable=False)
                    input_map[name + ":0"] = tf.identity(variable)
                    self._weight_feeds[name + ":0"] = (initial, variable.initializer, value)
            if variable_names:
                # Drop the constants the variables replace, so their values are held only once.
                graph_def = subgraph(graph_def, (n for n in graph_def.node
                                                 if n.name not in set(variable_names)))
            tf.import_graph_def(graph_def, input_map=input_map, name="")
        self.session = tf.compat.v1.Session(graph=self.graph)
        self.resized_image = self.graph.get_tensor_by_name(model.resized_image.name)
        self.y_logits = self.graph.get_tensor_by_name(model.y_logits.name)
        self.y_pred = self.graph.get_tensor_by_name(model.y_pred.name)
        self.transfer_layer = self.graph.get_tensor_by_name(model.transfer_layer.name)
        self._compiled: dict[Hashable, CompiledFunction] = {}
        if self._weight_feeds:
            self.set_weights({})

    def __repr__(self) -> str:
        kind = ", variable weights" if self._weight_feeds else ""
        return f"VariantGraph({self.name!r}, rule={self.rule.name!r}{kind})"

    def layer_tensor(self, layer: int | str):
        name = self.model.layer_tensor(layer).name  # the model's clear errors for bad names/ids
        try:
            return self.graph.get_tensor_by_name(name)
        except KeyError:
            raise KeyError(f"{name} is not part of the classifier (nothing between the input and "
                           "the logits depends on it), so variant graphs do not have it") from None

    def prepare_images(self, images) -> np.ndarray:
        return self.model.prepare_images(images)

    @property
    def variable_weight_names(self) -> list[str]:
        return list(self._weight_feeds)

    def set_weights(self, values: Mapping[str, np.ndarray]) -> None:
        """Give the variable weights named in ``values`` those values and every other one its
        trained value."""
        unknown = set(values) - set(self._weight_feeds)
        if unknown:
            raise KeyError(f"not variable weights of this graph: {sorted(unknown)}")
        feeds, initializers = {}, []
        for name, (placeholder, initializer, trained) in self._weight_feeds.items():
            value = values.get(name, trained)
            if np.shape(value) != trained.shape:
                raise ValueError(f"{name} needs shape {trained.shape}, got {np.shape(value)}")
            feeds[placeholder] = value
            initializers.append(initializer)
        self.session.run(initializers, feeds)

    def close(self) -> None:
        self.session.close()


class ModelVariants:
    """One model under each backward rule, built on first use and cached.

    ``net('vanilla')`` is the model itself (its gradients are the true ones),
    ``net('guided')`` and ``net('deconvnet')`` are :class:`VariantGraph`\\ s.
    With ``variable_weights=True`` every rule, vanilla included, gets its own
    variant whose conv and fully connected kernels can be replaced with
    :meth:`set_weights` (all variants at once, so the methods stay comparable).
    """

    def __init__(self, model: Inception, variable_weights: bool = False):
        self.model = model
        self.variable_weights = variable_weights
        self.weight_names = weight_tensor_names(model.graph) if variable_weights else []
        self._nets: dict[str, VariantGraph] = {}
        self._weights: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return (f"ModelVariants({self.model.name!r}, variable_weights={self.variable_weights}, "
                f"built={sorted(self._nets)})")

    def net(self, rule: str | BackwardRule = "vanilla") -> Network:
        rule = backward_rule(rule)
        if rule is VANILLA and not self.variable_weights:
            return self.model
        net = self._nets.get(rule.name)
        if net is None:
            net = VariantGraph(self.model, rule, self.weight_names)
            if self._weights:
                net.set_weights(self._weights)
            self._nets[rule.name] = net
        return net

    def trained_weight(self, name: str) -> np.ndarray:
        """The trained value of one kernel (by tensor name, see ``weight_names``)."""
        if name not in self.weight_names:
            raise KeyError(f"{name!r} is not a variable weight; see weight_names")
        return self.model.session.run(self.model.graph.get_tensor_by_name(name))

    def set_weights(self, values: Mapping[str, np.ndarray]) -> None:
        """Replace the kernels in ``values`` in every variant; all others are reset to trained."""
        if not self.variable_weights:
            raise RuntimeError("these variants hold constant weights; create "
                               "ModelVariants(model, variable_weights=True) to change them")
        self._weights = dict(values)
        for net in self._nets.values():
            net.set_weights(self._weights)

    def reset_weights(self) -> None:
        self.set_weights({})

    def close(self) -> None:
        for net in self._nets.values():
            net.close()
        self._nets.clear()


def model_variants(model: Inception | ModelVariants) -> ModelVariants:
    """The shared constant-weight variants of ``model`` (built once per model, closed with it);
    a :class:`ModelVariants` passes through unchanged."""
    if isinstance(model, ModelVariants):
        return model
    if not isinstance(model, Inception):
        raise TypeError(f"expected an inception.Inception model, got {type(model).__name__}")
    return model.attached("backward_rule_variants", lambda: ModelVariants(model))


# ------------------------------------------------------------------ gradients of targets
def _depends_on(tensor, wrt) -> bool:
    """Whether ``tensor`` is computed from ``wrt`` (a walk up the graph from ``tensor``)."""
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op is wrt.op:
            return True
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(i.op for i in op.inputs)
    return False


def target_gradients(net: Network, target: Target | int, images,
                     wrt: int | str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a target and its gradient, in ``net`` (so under ``net``'s backward rule).

    Returns ``(objective (B,), values, gradients)``: ``values`` are the input images
    (``wrt=None``) or the outputs of layer ``wrt``; ``gradients`` has their shape.
    The ops are built once per (target tensor, ``wrt``) and reused for any class or channel.
    """
    import tensorflow as tf

    target = as_target(target)
    batch = net.prepare_images(images)
    weights = target.weights(net)  # validates the class or channel first
    wrt_tensor = net.resized_image if wrt is None else net.layer_tensor(wrt)

    def build():
        if not _depends_on(target.output(net), wrt_tensor):
            raise ValueError(f"{target.label(net)} does not depend on {wrt_tensor.op.name}: "
                             "choose a layer below the target")
        weight_feed = tf.compat.v1.placeholder(tf.float32, [None, len(weights)], name="target_weights")
        objective = tf.reduce_sum(target.source(net) * weight_feed, axis=1)
        gradient = tf.gradients(tf.reduce_sum(objective), wrt_tensor)[0]
        values = [] if wrt is None else [wrt_tensor]
        return [weight_feed], [objective, *values, gradient]

    key = ("target_gradients", target.source_key(net), wrt_tensor.name)
    results = net.compiled(key, build)(batch, weights[np.newaxis])
    if wrt is None:
        objective, gradient = results
        return objective, batch, gradient
    return tuple(results)


def target_values(net: Network, target: Target | int, images) -> np.ndarray:
    """The target's value for each image of a batch, shape (B,)."""
    import tensorflow as tf

    target = as_target(target)
    batch = net.prepare_images(images)
    weights = target.weights(net)

    def build():
        weight_feed = tf.compat.v1.placeholder(tf.float32, [None, len(weights)], name="target_weights")
        return [weight_feed], [tf.reduce_sum(target.source(net) * weight_feed, axis=1)]

    return net.compiled(("target_values", target.source_key(net)), build)(batch, weights[np.newaxis])[0]
