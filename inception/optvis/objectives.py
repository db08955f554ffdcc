"""Objectives: what a visualisation maximises, as small composable pieces.

An :class:`Objective` scores every image of a batch with one number (a
``(B,)`` tensor in the model graph). Objectives are model-independent
recipes: ``channel(24, 5)`` names conv layer 24 and channel 5, and only
becomes graph ops when it meets a model in :meth:`Objective.gradient_function`.
That is where the foundation's cache comes in: the ops are built once per
objective *structure* (:meth:`Inception.compiled`), and ``Session.run``
prunes the graph at the deepest layer the objective touches.

Objectives combine with ``+``, ``-`` and multiplication or division by a
number, and each carries a readable :attr:`~Objective.description`::

    obj = channel(24, 5) + 0.5 * diversity(24)
    obj.description  # 'channel(24, 5) + 0.5 * diversity(24)'

Which tensor is "a layer"?
--------------------------
A conv layer given by index (``24``) or op name (``"block8/expand/Conv2D"``)
means its **pre-activation**: the conv output after the batch norm's
per-channel scale and shift, before ReLU/ReLU6. Why not the alternatives:

- the raw ``Conv2D`` output (the seed's objective) comes *before* batch norm,
  whose scale is negative for some channels, so maximising it can minimise
  what the next layer actually receives;
- the post-activation (``.../Relu6``) has zero gradient wherever the unit is
  off, which is nearly everywhere on a gray start, and above 6 it saturates:
  a classic cause of gray, failed visualisations on mobile networks.

A name with an output index (``"block8/expand/Conv2D:0"``,
``"block8/expand/Relu6:0"``) is used exactly as given.
"""
from __future__ import annotations

import numbers
import weakref
from typing import TYPE_CHECKING, Callable, Hashable, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

    from ..model import Inception

# Ops that apply a per-channel constant scale or shift (a folded batch norm, a bias).
_AFFINE_OPS = ("Mul", "Add", "AddV2", "BiasAdd", "Sub")
_ACTIVATION_OPS = ("Relu", "Relu6")


# ---------------------------------------------------------------- layer tensors
def _is_constant(tensor) -> bool:
    op = tensor.op
    while op.type == "Identity":  # frozen graphs sometimes read constants through an Identity
        op = op.inputs[0].op
    return op.type == "Const"


_NETWORK_OPS: "weakref.WeakKeyDictionary[Inception, frozenset[str]]" = weakref.WeakKeyDictionary()


def _network_ops(model: "Inception") -> frozenset[str]:
    """Names of the ops the class scores depend on: the network as loaded, nothing added later."""
    names = _NETWORK_OPS.get(model)
    if names is None:
        seen: set[str] = set()
        stack = [model.y_pred.op, model.y_logits.op]
        while stack:
            op = stack.pop()
            if op.name in seen:
                continue
            seen.add(op.name)
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
        names = _NETWORK_OPS[model] = frozenset(seen)
    return names


def pre_activation(model: "Inception", conv_name: str):
    """The tensor after conv ``conv_name``'s per-channel affine ops (batch norm), before ReLU.

    Walks forward from the conv output while the only consumer (in the network as
    loaded) is a
    ``Mul``/``Add``/``BiasAdd`` whose other operand is a constant. Stops at a
    residual ``Add`` (two computed inputs) or anything else, so a linear
    bottleneck layer (no activation) gives its batch-normed output.
    """
    tensor = model.graph.get_operation_by_name(conv_name).outputs[0]
    network = _network_ops(model)
    while True:
        # Only the frozen network's own ops count: objectives and gradients built
        # later also consume these tensors, and must not change the answer.
        consumers = [op for op in tensor.consumers() if op.name in network]
        if len(consumers) != 1:
            return tensor
        op = consumers[0]
        others = [t for t in op.inputs if t is not tensor]
        if op.type not in _AFFINE_OPS or not others or not all(_is_constant(t) for t in others):
            return tensor
        tensor = op.outputs[0]


def activation_tensor(model: "Inception", layer: int | str):
    """Resolve a layer spec (conv index, conv op name, or ``"name:0"`` tensor) to a graph tensor."""
    if isinstance(layer, bool) or not isinstance(layer, (str, numbers.Integral)):
        raise TypeError(f"layer must be a conv index or a layer name, got {layer!r}")
    if isinstance(layer, numbers.Integral):
        return pre_activation(model, model.conv_layer_name(int(layer)))
    if ":" not in layer and layer in model.conv_layer_names:
        return pre_activation(model, layer)
    return model.layer_tensor(layer)


def _spatial_tensor(model: "Inception", layer: int | str):
    tensor = activation_tensor(model, layer)
    if tensor.shape.rank != 4:
        raise ValueError(f"layer {layer!r} ({tensor.name}) has shape {tensor.shape}; this objective "
                         "needs a convolutional (batch, height, width, channels) layer")
    return tensor


def _check_channels(model: "Inception", layer: int | str, channels: np.ndarray, tensor) -> None:
    count = int(tensor.shape[-1])
    bad = [int(c) for c in channels if not 0 <= c < count]
    if bad:
        raise IndexError(f"channel {bad[0]} is out of range: layer {layer!r} ({tensor.name}) has "
                         f"{count} channels, so channel must be 0..{count - 1}")


def _as_indices(value, what: str) -> np.ndarray:
    """An int or a sequence of ints as a 1-D int array (one entry, or one per image)."""
    array = np.atleast_1d(np.asarray(value))
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{what} must be an integer or a non-empty sequence of integers, got {value!r}")
    return array.astype(np.int32)


def _per_image(indices: np.ndarray, batch_size: int, what: str) -> np.ndarray:
    """Broadcast one index to the whole batch, or check there is one per image."""
    if indices.size == 1:
        return np.full(batch_size, indices[0], dtype=np.int32)
    if indices.size != batch_size:
        raise ValueError(f"{indices.size} {what}s were given (one per image) but the batch has "
                         f"{batch_size} images")
    return indices


def _fmt(value) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return repr(value) if isinstance(value, str) else str(value)
    return "[" + ", ".join(str(v) for v in array.tolist()) + "]"


# ---------------------------------------------------------------- the Objective
class Objective:
    """A score per image, built lazily in a model's graph. Combine with ``+``, ``-``, ``*``, ``/``.

    Parameters
    ----------
    description: readable text, e.g. ``"channel(24, 5)"``.
    key: hashable *structure* of the objective: objectives with equal keys share compiled ops.
        Values that change between calls (channel numbers) are fed, not part of the key.
    build: ``build(model, placeholders) -> (B,) tensor``; appends any placeholder it creates.
    values: ``values(batch_size) -> list of arrays`` fed to those placeholders, same order.
    batch_size: images this objective needs (one per listed channel), or None for any batch.
    """

    def __init__(self, description: str, key: Hashable,
                 build: Callable[["Inception", list], "tf.Tensor"],
                 values: Callable[[int], list] = lambda batch_size: [],
                 batch_size: int | None = None, check: Callable[["Inception"], None] | None = None):
        self.description = description
        self.key = key
        self._build = build
        self._values = values
        self.batch_size = batch_size
        self._check = check

    def __repr__(self) -> str:
        return f"<Objective {self.description}>"

    # ------------------------------------------------------------ algebra
    def _combine(self, other: "Objective", sign: str) -> "Objective":
        if not isinstance(other, Objective):
            return NotImplemented
        if self.batch_size and other.batch_size and self.batch_size != other.batch_size:
            raise ValueError(f"cannot combine objectives for {self.batch_size} and {other.batch_size} "
                             f"images: {self.description!r} and {other.description!r}")
        right = other.description
        if sign == "-" and isinstance(other.key, tuple) and other.key[0] in ("+", "-"):
            right = f"({right})"  # a - (b + c) must keep its parentheses

        def build(model, placeholders):
            # Left first, then right: the same order as values() below.
            left_value = self._build(model, placeholders)
            right_value = other._build(model, placeholders)
            return left_value + right_value if sign == "+" else left_value - right_value

        def check(model):
            self.check(model)
            other.check(model)

        return Objective(f"{self.description} {sign} {right}", ("+" if sign == "+" else "-", self.key, other.key),
                         build, lambda b: self._values(b) + other._values(b),
                         self.batch_size or other.batch_size, check)

    def __add__(self, other: "Objective") -> "Objective":
        return self._combine(other, "+")

    def __sub__(self, other: "Objective") -> "Objective":
        return self._combine(other, "-")

    def __mul__(self, factor: float) -> "Objective":
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            return NotImplemented
        factor = float(factor)
        inner = self.description
        if isinstance(self.key, tuple) and self.key[0] in ("+", "-"):
            inner = f"({inner})"
        return Objective(f"{factor:g} * {inner}", ("*", factor, self.key),
                         lambda model, placeholders: factor * self._build(model, placeholders),
                         self._values, self.batch_size, self.check)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> "Objective":
        if isinstance(divisor, bool) or not isinstance(divisor, numbers.Real):
            return NotImplemented
        if divisor == 0:
            raise ZeroDivisionError("cannot divide an objective by zero")
        return self * (1.0 / float(divisor))

    def __neg__(self) -> "Objective":
        return self * -1.0

    # ------------------------------------------------------------ use with a model
    def check(self, model: "Inception") -> None:
        """Raise a clear error now if a layer or channel does not exist in ``model``."""
        if self._check is not None:
            self._check(model)

    def _feeds(self, batch_size: int) -> list[np.ndarray]:
        if self.batch_size is not None and batch_size != self.batch_size:
            raise ValueError(f"objective {self.description!r} scores {self.batch_size} images "
                             f"(one per channel listed) but the batch has {batch_size}")
        return self._values(batch_size)

    def value_function(self, model: "Inception") -> Callable[[np.ndarray], np.ndarray]:
        """``fn(images) -> (B,)`` objective values, compiled once per objective structure."""
        self.check(model)

        def build():
            placeholders: list = []
            return placeholders, [self._build(model, placeholders)]

        compiled = model.compiled(("optvis-value", self.key), build)
        return lambda images: compiled(images, *self._feeds(len(images)))[0]

    def gradient_function(self, model: "Inception") -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``fn(images) -> (values (B,), d sum(values) / d images (B, H, W, 3))``, cached per structure.

        Images are independent in every objective except :func:`diversity`, so
        the gradient of the batch sum is each image's own gradient.
        """
        import tensorflow as tf

        self.check(model)

        def build():
            placeholders: list = []
            value = self._build(model, placeholders)
            gradient = tf.gradients(tf.reduce_sum(value), model.resized_image)[0]
            if gradient is None:  # the objective does not depend on the image at all
                gradient = tf.zeros_like(model.resized_image)
            return placeholders, [value, gradient]

        compiled = model.compiled(("optvis-gradient", self.key), build)

        def run(images):
            value, gradient = compiled(images, *self._feeds(len(images)))
            return value, gradient

        return run

    def __call__(self, model: "Inception", images) -> np.ndarray:
        """Evaluate on images (0..255 RGB at the model's input size): one value per image."""
        return self.value_function(model)(model.prepare_images(images))


# ---------------------------------------------------------------- leaf objectives
def _index_objective(name: str, layer, indices, what: str, reduce: Callable, extra_key: Hashable = (),
                     extra_text: str = "", extra_check: Callable | None = None) -> Objective:
    """Shared plumbing: an objective over per-image channel indices fed through a placeholder."""
    indices_array = _as_indices(indices, what)
    batch_size = indices_array.size if indices_array.size > 1 else None

    def check(model):
        tensor = _spatial_tensor(model, layer)
        _check_channels(model, layer, indices_array, tensor)
        if extra_check is not None:
            extra_check(tensor)

    def build(model, placeholders):
        import tensorflow as tf

        tensor = _spatial_tensor(model, layer)
        index = tf.compat.v1.placeholder(tf.int32, [None], name=f"{name}_index")
        placeholders.append(index)
        return reduce(tensor, index)

    return Objective(f"{name}({_fmt(layer)}, {_fmt(indices)}{extra_text})", (name, layer, *extra_key), build,
                     lambda b: [_per_image(indices_array, b, what)], batch_size, check)


def channel(layer: int | str, channel: int | Sequence[int]) -> Objective:
    """Mean activation of one channel over all positions (the seed's objective, per layer spec).

    ``channel`` may be a list: image ``b`` of the batch then maximises ``channel[b]``,
    so one batch visualises many channels at once.
    """
    def reduce(tensor, index):
        import tensorflow as tf
        means = tf.reduce_mean(tensor, axis=[1, 2])  # (B, C)
        return tf.gather(means, index, axis=1, batch_dims=1)

    return _index_objective("channel", layer, channel, "channel", reduce)


def neuron(layer: int | str, channel: int | Sequence[int], x: int | None = None,
           y: int | None = None) -> Objective:
    """Activation of one channel at one position (default: the centre of the feature map).

    A single neuron sees only its receptive field, so its visualisation is one
    centred pattern instead of a texture that fills the image.
    """
    for name, value in (("x", x), ("y", y)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            raise TypeError(f"{name} must be an integer position or None, got {value!r}")

    def position(tensor):
        height, width = int(tensor.shape[1]), int(tensor.shape[2])
        row = height // 2 if y is None else int(y)
        col = width // 2 if x is None else int(x)
        if not (0 <= row < height and 0 <= col < width):
            raise IndexError(f"position (x={col}, y={row}) is outside layer {layer!r}'s "
                             f"{width}x{height} feature map")
        return row, col

    def reduce(tensor, index):
        import tensorflow as tf
        row, col = position(tensor)
        return tf.gather(tensor[:, row, col, :], index, axis=1, batch_dims=1)

    return _index_objective("neuron", layer, channel, "channel", reduce, extra_key=(x, y),
                            extra_text="" if x is None and y is None else f", x={x}, y={y}",
                            extra_check=position)


def class_logit(cls: int | Sequence[int]) -> Objective:
    """The logit (pre-softmax score) of class ``cls``; a list gives one class per image.

    Logits, not probabilities: raising a probability can be done by lowering
    the other classes, which makes poorer pictures (Simonyan et al. 2013).
    """
    classes = _as_indices(cls, "class")

    def check(model):
        bad = [int(c) for c in classes if not 0 <= c < model.num_classes]
        if bad:
            raise IndexError(f"class {bad[0]} is out of range: {model.name} has {model.num_classes} "
                             f"classes, so class must be 0..{model.num_classes - 1}")

    def build(model, placeholders):
        import tensorflow as tf
        index = tf.compat.v1.placeholder(tf.int32, [None], name="class_index")
        placeholders.append(index)
        return tf.gather(model.y_logits, index, axis=1, batch_dims=1)

    return Objective(f"class_logit({_fmt(cls)})", ("class_logit",), build,
                     lambda b: [_per_image(classes, b, "class")],
                     classes.size if classes.size > 1 else None, check)


def layer(layer: int | str) -> Objective:
    """Mean squared activation of a whole layer: DeepDream's objective.

    Every channel that already responds is pushed to respond more, so the
    image grows whatever the layer sees in it (Mordvintsev et al. 2015).
    """
    def check(model):
        _spatial_tensor(model, layer)

    def build(model, placeholders):
        import tensorflow as tf
        return tf.reduce_mean(tf.square(_spatial_tensor(model, layer)), axis=[1, 2, 3])

    return Objective(f"layer({_fmt(layer)})", ("layer", layer), build, check=check)


def direction(layer: int | str, vector: Sequence[float]) -> Objective:
    """Mean over positions of the activation's projection on a unit ``vector`` (one per channel).

    Channels are one basis of a layer's activation space; any direction in
    it (for example a difference between two classes' mean activations) can
    be visualised the same way (Olah et al. 2017, "interaction").
    """
    vec = np.asarray(vector, dtype=np.float32)
    if vec.ndim != 1 or not np.all(np.isfinite(vec)) or not np.any(vec):
        raise ValueError("direction vector must be a finite, non-zero 1-D array with one entry per channel")
    unit = vec / np.linalg.norm(vec)
    digest = (unit.size, hash(unit.tobytes()))

    def check(model):
        tensor = _spatial_tensor(model, layer)
        if int(tensor.shape[-1]) != unit.size:
            raise ValueError(f"direction has {unit.size} entries but layer {layer!r} ({tensor.name}) "
                             f"has {int(tensor.shape[-1])} channels")

    def build(model, placeholders):
        import tensorflow as tf
        tensor = _spatial_tensor(model, layer)
        return tf.reduce_mean(tf.tensordot(tensor, tf.constant(unit), axes=[[3], [0]]), axis=[1, 2])

    return Objective(f"direction({_fmt(layer)}, <{unit.size}-vector>)", ("direction", layer, digest),
                     build, check=check)


def diversity(layer: int | str) -> Objective:
    """Minus each image's mean cosine similarity to the other images' Gram matrices at ``layer``.

    Gram matrices describe *style* (which channels fire together) regardless
    of position, so adding ``w * diversity(layer)`` to an objective pushes a
    batch of images towards different ways of exciting the same unit
    (Olah et al. 2017, "Diversity"; Gram style from Gatys et al. 2015).
    Needs a batch of at least two images; the value is 0 for a batch of one.
    """
    def check(model):
        _spatial_tensor(model, layer)

    def build(model, placeholders):
        import tensorflow as tf
        tensor = _spatial_tensor(model, layer)
        batch = tf.shape(tensor)[0]
        flat = tf.reshape(tensor, [batch, -1, int(tensor.shape[-1])])
        gram = tf.reshape(tf.matmul(flat, flat, transpose_a=True), [batch, -1])
        gram = tf.math.l2_normalize(gram, axis=1)
        similarity = tf.matmul(gram, gram, transpose_b=True)  # (B, B) cosines
        others = tf.reduce_sum(similarity, axis=1) - tf.linalg.diag_part(similarity)
        count = tf.maximum(tf.cast(batch, tf.float32) - 1.0, 1.0)
        return -others / count

    return Objective(f"diversity({_fmt(layer)})", ("diversity", layer), build, check=check)


__all__ = ["Objective", "activation_tensor", "channel", "class_logit", "direction", "diversity",
           "layer", "neuron", "pre_activation"]
