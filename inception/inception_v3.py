"""The 2015 Inception v3 frozen graph, rewritten on load so TensorFlow 2 can use it freely.

The graph in ``inception-2015-12-05.tgz`` was written by TensorFlow 0.x. Two
things in it get in the way today:

1. Every batch norm is the deprecated ``BatchNormWithGlobalNormalization`` op,
   removed at GraphDef version 9. TF 2.21 still imports it into a plain
   ``tf.Graph`` (the archive's producer version is old) but refuses it inside
   a TF2 function graph. We fold each one into the standard ``Mul`` + ``Add``
   it computes in inference mode, keeping the node's name so nothing
   downstream changes. The graph then holds only current ops, runs a little
   faster, and could be wrapped in a ``tf.function`` if a user wants to.
2. The image enters through ``DecodeJpeg`` and a ``ResizeBilinear`` whose
   batch is 1, and ``pool_3/_reshape`` hard-codes shape ``[1, 2048]``. We
   replace ``ResizeBilinear`` by a placeholder of the same name with a free
   batch dimension and set the reshape to ``[-1, 2048]``, so several images
   can be optimised or classified in one run.

Conv2D, pool_3, softmax/logits and softmax keep their names and values.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .graph_utils import keep_ancestors

DATA_URL = "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz"
ARCHIVE_NAME = "inception-2015-12-05.tgz"
GRAPH_FILE = "classify_image_graph_def.pb"
SYNSET_TO_NAME_FILE = "imagenet_synset_to_human_label_map.txt"
CLASS_TO_SYNSET_FILE = "imagenet_2012_challenge_label_map_proto.pbtxt"
REQUIRED_FILES = (GRAPH_FILE, SYNSET_TO_NAME_FILE, CLASS_TO_SYNSET_FILE)

INPUT_SIZE = 299
NUM_CLASSES = 1008
INPUT_TENSOR = "ResizeBilinear:0"
LOGITS_TENSOR = "softmax/logits:0"
SOFTMAX_TENSOR = "softmax:0"
TRANSFER_TENSOR = "pool_3:0"
OUTPUT_NODES = ("softmax", "softmax/logits", "pool_3")

_OLD_BATCH_NORM = "BatchNormWithGlobalNormalization"


def _const_value(node) -> np.ndarray:
    import tensorflow as tf
    return tf.make_ndarray(node.attr["value"].tensor)


def _const_node(name: str, value: np.ndarray):
    import tensorflow as tf
    node = tf.compat.v1.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    return node


def fold_old_batch_norms(graph_def):
    """Replace each ``BatchNormWithGlobalNormalization`` by ``x * scale + shift``.

    In inference mode the op computes ``(x - mean) / sqrt(var + eps) * gamma + beta``
    (``gamma`` only when ``scale_after_normalization``), which is one per-channel
    scale and shift. The ``Add`` keeps the old node's name.
    """
    import tensorflow as tf

    nodes = {n.name: n for n in graph_def.node}
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    folded = 0
    for node in graph_def.node:
        if node.op != _OLD_BATCH_NORM:
            out.node.append(node)
            continue
        x, mean, var, beta, gamma = (i.split(":")[0].lstrip("^") for i in node.input[:5])
        mean_v, var_v, beta_v, gamma_v = (_const_value(nodes[n]) for n in (mean, var, beta, gamma))
        eps = node.attr["variance_epsilon"].f
        scale = 1.0 / np.sqrt(var_v + eps)
        if node.attr["scale_after_normalization"].b:
            scale = scale * gamma_v
        shift = beta_v - mean_v * scale
        dtype = node.attr["T"].type
        out.node.extend([_const_node(node.name + "/folded_scale", scale.astype(np.float32)),
                         _const_node(node.name + "/folded_shift", shift.astype(np.float32))])
        mul = out.node.add(name=node.name + "/folded_mul", op="Mul")
        mul.input.extend([node.input[0], node.name + "/folded_scale"])
        mul.attr["T"].type = dtype
        add = out.node.add(name=node.name, op="Add")
        add.input.extend([mul.name, node.name + "/folded_shift"])
        add.attr["T"].type = dtype
        folded += 1
    return out, folded


def free_batch_dimension(graph_def, input_size: int = INPUT_SIZE):
    """Make ``ResizeBilinear`` a ``[None, 299, 299, 3]`` placeholder and ``pool_3/_reshape`` batch-free."""
    import tensorflow as tf

    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    reshape = next((n for n in graph_def.node if n.name == "pool_3/_reshape"), None)
    shape_node_name = reshape.input[1].split(":")[0] if reshape is not None else None
    input_name = INPUT_TENSOR.split(":")[0]
    found_input = False
    for node in graph_def.node:
        if node.name == input_name:
            found_input = True
            placeholder = out.node.add(name=input_name, op="Placeholder")
            placeholder.attr["dtype"].type = tf.float32.as_datatype_enum
            placeholder.attr["shape"].shape.CopyFrom(
                tf.TensorShape([None, input_size, input_size, 3]).as_proto())
        elif node.name == shape_node_name:
            shape = _const_value(node).copy()
            shape[0] = -1
            out.node.append(_const_node(node.name, shape.astype(np.int32)))
        else:
            out.node.append(node)
    if not found_input:
        raise ValueError(f"the graph has no {input_name!r} node; is this the Inception v3 graph?")
    return out


def rewrite_graph_def(graph_def):
    """Fold old batch norms, free the batch dimension, drop what the outputs do not need."""
    graph_def, _ = fold_old_batch_norms(graph_def)
    try:
        return keep_ancestors(free_batch_dimension(graph_def), OUTPUT_NODES)
    except ValueError as exc:
        raise ValueError(f"{exc}; is this the Inception v3 graph?") from None


def read_graph_def(path: str | Path):
    """The archive's GraphDef as stored (with the old op), for inspection or comparison."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(Path(path).read_bytes())
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError and others
        raise ValueError(f"{path} is not a valid GraphDef file ({exc}); delete it and run "
                         "inception.maybe_download() again") from None
    return graph_def


def load_graph_def(model_dir: str | Path):
    """Read ``classify_image_graph_def.pb`` from ``model_dir`` and rewrite it for TF2 use."""
    return rewrite_graph_def(read_graph_def(Path(model_dir) / GRAPH_FILE))
