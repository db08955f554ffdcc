"""What to explain: a scalar per image, chosen by a small callable.

Every attribution method (saliency, Grad-CAM, the sanity checks) asks the same
question: *how does this one number depend on the image?* A target names that
number. It is always written the same way, as a weighted sum over one tensor
of shape ``(batch, K)``:

- :class:`ClassLogit` ``(cls)``: the logits, with a one-hot weight on ``cls``;
- :class:`LogitDifference` ``(cls, other)``: the logits, weights ``+1`` and ``-1``
  (what makes the image *more* ``cls`` than ``other``);
- :class:`Channel` ``(layer, channel)``: a layer's outputs averaged over the
  image positions, with a one-hot weight on ``channel``.

Because only the weight vector differs between classes (or channels), the
methods build their gradient ops once per *tensor* and feed the weights at run
time: explaining all 1000 classes adds no more ops to the graph than
explaining one.

A target is also a plain callable: ``ClassLogit(285)(model)`` returns the
``(batch,)`` tensor it stands for (it adds ops, so call it inside
``model.compiled(...)``).

All targets use logits, never the softmax: see notebook 05 for why.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Hashable, Protocol

import numpy as np


class Network(Protocol):
    """What the targets and methods need from a model: :class:`inception.Inception`, or one of
    its variant graphs from :mod:`inception.backprop`."""

    name: str
    graph: Any
    session: Any
    resized_image: Any
    y_logits: Any
    transfer_layer: Any
    num_classes: int
    input_size: tuple[int, int]

    def layer_tensor(self, layer: int | str) -> Any: ...

    def prepare_images(self, images) -> np.ndarray: ...

    def compiled(self, key: Hashable, build) -> Any: ...


def _check_index(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    return int(value)


class Target(ABC):
    """A scalar per image: ``sum_k source[b, k] * weights[k]`` (see the module docstring)."""

    @abstractmethod
    def output(self, net: Network):
        """The existing graph tensor the target reads (logits or a layer); adds no ops."""

    @abstractmethod
    def source_key(self, net: Network) -> Hashable:
        """Identifies :meth:`source` in ``net``: equal keys share compiled gradient ops."""

    @abstractmethod
    def source(self, net: Network):
        """The ``(batch, K)`` tensor the weights apply to (may add ops: call once per key)."""

    @abstractmethod
    def weights(self, net: Network) -> np.ndarray:
        """The ``(K,)`` float32 weight vector; validates the target against ``net``."""

    @abstractmethod
    def label(self, net: Network) -> str:
        """A short human-readable description, for plot titles."""

    def check(self, net: Network) -> "Target":
        """Raise a clear error if the target does not fit ``net``; return the target."""
        self.weights(net)
        return self

    def __call__(self, net: Network):
        """The ``(batch,)`` objective tensor (adds ops to ``net``'s graph)."""
        import tensorflow as tf

        weights = tf.constant(self.weights(net)[np.newaxis], name="target_weights")
        return tf.reduce_sum(self.source(net) * weights, axis=1)


def _logit_weights(net: Network, entries: dict[int, float]) -> np.ndarray:
    weights = np.zeros(net.num_classes, dtype=np.float32)
    for cls, value in entries.items():
        if not 0 <= cls < net.num_classes:
            raise IndexError(f"class {cls} is out of range: {net.name} has {net.num_classes} "
                             f"classes, so the class must be 0..{net.num_classes - 1}")
        weights[cls] += value
    return weights


def _class_name(net: Network, cls: int) -> str:
    lookup = getattr(net, "name_lookup", None)
    return lookup.cls_to_name(cls, only_first_name=True) if lookup is not None else f"class {cls}"


class _LogitTarget(Target):
    """A target that weights the logits."""

    def output(self, net: Network):
        return net.y_logits

    def source_key(self, net: Network) -> Hashable:
        return ("logits",)

    def source(self, net: Network):
        return net.y_logits


@dataclass(frozen=True)
class ClassLogit(_LogitTarget):
    """The logit (pre-softmax score) of class ``cls``."""

    cls: int

    def __post_init__(self):
        object.__setattr__(self, "cls", _check_index(self.cls, "the class"))

    def weights(self, net: Network) -> np.ndarray:
        return _logit_weights(net, {self.cls: 1.0})

    def label(self, net: Network) -> str:
        return f"{_class_name(net, self.cls)} (#{self.cls})"


@dataclass(frozen=True)
class LogitDifference(_LogitTarget):
    """``logit[cls] - logit[other]``: evidence for ``cls`` *against* ``other``."""

    cls: int
    other: int

    def __post_init__(self):
        object.__setattr__(self, "cls", _check_index(self.cls, "the class"))
        object.__setattr__(self, "other", _check_index(self.other, "the other class"))
        if self.cls == self.other:
            raise ValueError(f"the two classes must differ, got {self.cls} twice")

    def weights(self, net: Network) -> np.ndarray:
        return _logit_weights(net, {self.cls: 1.0, self.other: -1.0})

    def label(self, net: Network) -> str:
        return f"{_class_name(net, self.cls)} - {_class_name(net, self.other)}"


@dataclass(frozen=True)
class Channel(Target):
    """The mean over image positions of ``channel`` of a layer (conv id or op name)."""

    layer: int | str
    channel: int

    def __post_init__(self):
        if not isinstance(self.layer, str):
            object.__setattr__(self, "layer", _check_index(self.layer, "the layer (a conv id)"))
        object.__setattr__(self, "channel", _check_index(self.channel, "the channel"))

    def output(self, net: Network):
        tensor = net.layer_tensor(self.layer)
        if tensor.shape.rank != 4:
            raise ValueError(f"layer {tensor.name} has shape {tensor.shape}; a channel target needs "
                             "a (batch, height, width, channels) layer")
        return tensor

    def source_key(self, net: Network) -> Hashable:
        return ("channel_mean", self.output(net).name)

    def source(self, net: Network):
        import tensorflow as tf

        return tf.reduce_mean(self.output(net), axis=[1, 2])

    def weights(self, net: Network) -> np.ndarray:
        count = int(self.output(net).shape[-1])
        if not 0 <= self.channel < count:
            raise IndexError(f"channel {self.channel} is out of range: layer "
                             f"{self.output(net).op.name} has {count} channels, so the channel "
                             f"must be 0..{count - 1}")
        weights = np.zeros(count, dtype=np.float32)
        weights[self.channel] = 1.0
        return weights

    def label(self, net: Network) -> str:
        return f"{self.output(net).op.name} channel {self.channel}"


def as_target(target: Target | int) -> Target:
    """Accept a :class:`Target` or a bare class number (meaning :class:`ClassLogit`)."""
    if isinstance(target, Target):
        return target
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return ClassLogit(int(target))
    raise TypeError(f"expected a target (ClassLogit, Channel, ...) or a class number, got {target!r}")


def top_classes(model: Network, image, k: int = 2) -> list[int]:
    """The ``k`` classes with the highest logits for one image, best first."""
    batch = model.prepare_images(image)
    if len(batch) != 1:
        raise ValueError(f"expected one image, got a batch of {len(batch)}")
    logits = model.compiled("logits", lambda: ([], [model.y_logits]))(batch)[0][0]
    return [int(c) for c in np.argsort(logits)[::-1][:k]]
