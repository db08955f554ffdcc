"""A small stand-in for ``inception-2015-12-05.tgz``, for tests that cannot download the real one.

The archive has the real member names and formats. Its graph imitates the
2015 graph where the loader cares: an old GraphDef producer version (8, so the
deprecated ``BatchNormWithGlobalNormalization`` op is still legal), the
``DecodeJpeg -> Cast -> ExpandDims -> ResizeBilinear -> Sub -> Mul`` input
chain, conv layers named like the real ones, each followed by a real
``BatchNormWithGlobalNormalization`` node and ``Relu``, inception-style
``join`` concats, ``pool_3`` with ``pool_3/_reshape`` hard-coding batch 1, and
``softmax/logits`` with 1008 outputs. Channels are few, so it runs in
milliseconds.

Python refuses to create the deprecated op in a current graph, so the
GraphDef is written NodeDef by NodeDef.

Broken variants (truncated, random bytes, a missing member, a ``../``
member, a symlink member) are built by the helpers at the end.
"""
from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path

import numpy as np

from inception.inception_v3 import (ARCHIVE_NAME, CLASS_TO_SYNSET_FILE, GRAPH_FILE, INPUT_SIZE,
                                    NUM_CLASSES, SYNSET_TO_NAME_FILE)
from inception.labels import IMAGENET1K_LABELS

PANDA_FILE = "cropped_panda.jpg"
LICENSE_FILE = "LICENSE"
# Same order as the real archive lists them.
MEMBER_NAMES = (GRAPH_FILE, PANDA_FILE, CLASS_TO_SYNSET_FILE, SYNSET_TO_NAME_FILE, LICENSE_FILE)

# Before version 9, where BatchNormWithGlobalNormalization was removed.
OLD_PRODUCER = 8
OLD_BATCH_NORM = "BatchNormWithGlobalNormalization"

# As in the real label map: target class 449 is n01440764 "tench, Tinca tinca".
TENCH_SYNSET = "n01440764"
TENCH_CLASS = 449

FIRST_CONV = "conv/Conv2D"
LAST_CONV = "mixed_10/tower_2/conv/Conv2D"


# --------------------------------------------------------------------- the graph
class _GraphDefWriter:
    """Appends NodeDefs to a GraphDef; keeps the attr plumbing in one place."""

    def __init__(self, rng: np.random.Generator):
        import tensorflow as tf

        self.tf = tf
        self.rng = rng
        self.graph_def = tf.compat.v1.GraphDef()
        self.graph_def.versions.producer = OLD_PRODUCER
        self.float = tf.float32.as_datatype_enum
        self.int32 = tf.int32.as_datatype_enum
        self.conv_names: list[str] = []
        self.batch_norm_flags: dict[str, bool] = {}

    def node(self, name: str, op: str, inputs=(), **attrs) -> str:
        node = self.graph_def.node.add(name=name, op=op)
        node.input.extend(inputs)
        for key, value in attrs.items():
            attr = node.attr[key]
            if isinstance(value, bool):
                attr.b = value
            elif isinstance(value, float):
                attr.f = value
            elif isinstance(value, int):
                attr.i = value
            elif isinstance(value, str):
                attr.s = value.encode()
            elif isinstance(value, list):
                attr.list.i.extend(value)
            elif isinstance(value, self.tf.DType):
                attr.type = value.as_datatype_enum
            else:
                raise TypeError(f"unsupported attr {key}={value!r}")
        return name

    def const(self, name: str, value) -> str:
        value = np.asarray(value)
        node = self.graph_def.node.add(name=name, op="Const")
        node.attr["dtype"].type = self.tf.as_dtype(value.dtype).as_datatype_enum
        node.attr["value"].tensor.CopyFrom(self.tf.make_tensor_proto(value))
        return name

    def conv_bn_relu(self, scope: str, x: str, in_ch: int, out_ch: int, kernel: int,
                     stride: int = 1, padding: str = "SAME") -> str:
        """``<scope>/Conv2D`` -> ``<scope>/batchnorm`` (the old op) -> ``<scope>`` (Relu)."""
        tf, rng = self.tf, self.rng
        fan_in = kernel * kernel * in_ch
        weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), (kernel, kernel, in_ch, out_ch))
        params = self.const(f"{scope}/conv2d_params", weights.astype(np.float32))
        conv = self.node(f"{scope}/Conv2D", "Conv2D", [x, params], T=tf.float32,
                         strides=[1, stride, stride, 1], padding=padding, data_format="NHWC",
                         use_cudnn_on_gpu=True)
        self.conv_names.append(conv)
        # Non-trivial statistics so a wrong fold (sign, eps, gamma) shows in the outputs.
        mean = self.const(f"{scope}/batchnorm/moving_mean",
                          rng.normal(0.0, 0.3, out_ch).astype(np.float32))
        variance = self.const(f"{scope}/batchnorm/moving_variance",
                              rng.uniform(0.3, 2.5, out_ch).astype(np.float32))
        beta = self.const(f"{scope}/batchnorm/beta",
                          rng.normal(0.3, 0.3, out_ch).astype(np.float32))
        gamma = self.const(f"{scope}/batchnorm/gamma",
                           rng.uniform(0.4, 1.8, out_ch).astype(np.float32))
        # Alternate the flag so both branches of the fold are exercised.
        scale_after = len(self.conv_names) % 2 == 1
        self.batch_norm_flags[f"{scope}/batchnorm"] = scale_after
        epsilon = float(rng.choice([1e-3, 0.01, 0.1]))
        norm = self.node(f"{scope}/batchnorm", OLD_BATCH_NORM, [conv, mean, variance, beta, gamma],
                         T=tf.float32, variance_epsilon=epsilon,
                         scale_after_normalization=scale_after)
        return self.node(scope, "Relu", [norm], T=tf.float32)

    def pool(self, name: str, op: str, x: str, size: int, stride: int, padding: str) -> str:
        return self.node(name, op, [x], T=self.tf.float32, ksize=[1, size, size, 1],
                         strides=[1, stride, stride, 1], padding=padding, data_format="NHWC")

    def concat(self, name: str, inputs: list[str]) -> str:
        # The 2015 graph uses the old Concat op (axis first), not ConcatV2.
        axis = self.const(f"{name}/concat_dim", np.int32(3))
        return self.node(name, "Concat", [axis, *inputs], N=len(inputs), T=self.tf.float32)


def _build_graph_def(seed: int, channels: int):
    import tensorflow as tf

    w = _GraphDefWriter(np.random.default_rng(seed))
    c = channels
    # Input chain of the real graph: JPEG bytes -> uint8 image -> float batch of one -> 299x299.
    contents = w.node("DecodeJpeg/contents", "Placeholder", dtype=tf.string)
    w.graph_def.node[-1].attr["shape"].shape.CopyFrom(tf.TensorShape([]).as_proto())
    decoded = w.node("DecodeJpeg", "DecodeJpeg", [contents], channels=3, ratio=1,
                     fancy_upscaling=True, try_recover_truncated=False, acceptable_fraction=1.0)
    cast = w.node("Cast", "Cast", [decoded], SrcT=tf.uint8, DstT=tf.float32)
    expand = w.node("ExpandDims", "ExpandDims", [cast, w.const("ExpandDims/dim", np.int32(0))],
                    T=tf.float32, Tdim=tf.int32)
    resized = w.node("ResizeBilinear", "ResizeBilinear",
                     [expand, w.const("ResizeBilinear/size", np.array([INPUT_SIZE] * 2, np.int32))],
                     T=tf.float32, align_corners=False)
    sub = w.node("Sub", "Sub", [resized, w.const("Sub/y", np.float32(128.0))], T=tf.float32)
    x = w.node("Mul", "Mul", [sub, w.const("Mul/y", np.float32(1.0 / 128.0))], T=tf.float32)

    # Stem: 299 -> 149 -> 74 -> 74 -> pool 36.
    x = w.conv_bn_relu("conv", x, 3, c, 3, stride=2, padding="VALID")
    x = w.conv_bn_relu("conv_1", x, c, c, 3, stride=2, padding="VALID")
    x = w.conv_bn_relu("conv_2", x, c, c, 3)
    x = w.pool("pool", "MaxPool", x, 3, 2, "VALID")

    # One inception block: three towers joined along channels.
    branch0 = w.conv_bn_relu("mixed/conv", x, c, c, 1)
    branch1 = w.conv_bn_relu("mixed/tower/conv", x, c, c, 1)
    branch1 = w.conv_bn_relu("mixed/tower/conv_1", branch1, c, c, 3)
    branch2 = w.pool("mixed/tower_1/pool", "AvgPool", x, 3, 1, "SAME")
    branch2 = w.conv_bn_relu("mixed/tower_1/conv", branch2, c, c, 1)
    x = w.concat("mixed/join", [branch0, branch1, branch2])

    # 36 -> 17 -> 8, the real graph's final resolution.
    x = w.pool("pool_1", "MaxPool", x, 3, 2, "VALID")
    x = w.pool("pool_2", "MaxPool", x, 3, 2, "VALID")

    # The last block; its tower_2 conv is the last conv layer, as in the real graph.
    branch0 = w.conv_bn_relu("mixed_10/conv", x, 3 * c, c, 1)
    branch2 = w.pool("mixed_10/tower_2/pool", "MaxPool", x, 3, 1, "SAME")
    branch2 = w.conv_bn_relu("mixed_10/tower_2/conv", branch2, 3 * c, c, 1)
    x = w.concat("mixed_10/join", [branch0, branch2])

    features = 2 * c
    pool3 = w.pool("pool_3", "AvgPool", x, 8, 1, "VALID")
    # The batch-1 reshape that load_graph_def has to free.
    flat = w.node("pool_3/_reshape", "Reshape",
                  [pool3, w.const("pool_3/_reshape/shape", np.array([1, features], np.int32))],
                  T=tf.float32, Tshape=tf.int32)
    weights = w.const("softmax/weights",
                      w.rng.normal(0.0, 1.5, (features, NUM_CLASSES)).astype(np.float32))
    biases = w.const("softmax/biases", w.rng.normal(0.0, 0.5, NUM_CLASSES).astype(np.float32))
    matmul = w.node("softmax/logits/MatMul", "MatMul", [flat, weights], T=tf.float32,
                    transpose_a=False, transpose_b=False)
    logits = w.node("softmax/logits", "BiasAdd", [matmul, biases], T=tf.float32, data_format="NHWC")
    w.node("softmax", "Softmax", [logits], T=tf.float32)
    _calibrate_batch_norms(w)
    return w


def _calibrate_batch_norms(w: _GraphDefWriter) -> None:
    """Set each batch norm's statistics near those its conv really produces, as training would.

    With purely random statistics many ReLU channels are dead (all zero), and a
    zero output matches anything; calibrated ones keep most channels alive.
    """
    import tensorflow as tf

    nodes = {n.name: n for n in w.graph_def.node}
    image = w.rng.uniform(0.0, 255.0, (1, INPUT_SIZE, INPUT_SIZE, 3)).astype(np.float32)
    for conv in w.conv_names:
        scope = conv.rsplit("/", 1)[0]
        graph = tf.Graph()
        with graph.as_default():
            tf.import_graph_def(w.graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            values = session.run(conv + ":0", {"ResizeBilinear:0": image})
        mean = values.mean(axis=(0, 1, 2))
        std = values.std(axis=(0, 1, 2)) + 1e-3
        # Off by a random amount, so the fold is not close to an identity.
        mean = mean + w.rng.normal(0.0, 0.3, mean.shape) * std
        variance = (std * w.rng.uniform(0.7, 1.4, std.shape)) ** 2
        for name, value in (("moving_mean", mean), ("moving_variance", variance)):
            nodes[f"{scope}/batchnorm/{name}"].attr["value"].tensor.CopyFrom(
                tf.make_tensor_proto(value.astype(np.float32)))


@functools.lru_cache(maxsize=None)
def _built(seed: int, channels: int) -> tuple[bytes, tuple[tuple[str, bool], ...]]:
    # Cached as immutable bytes and tuples: callers get fresh objects.
    writer = _build_graph_def(seed, channels)
    return writer.graph_def.SerializeToString(), tuple(writer.batch_norm_flags.items())


def _graph_bytes(seed: int, channels: int) -> bytes:
    return _built(seed, channels)[0]


def fake_graph_def(seed: int = 0, channels: int = 4):
    """The fake archive's GraphDef as written (with the old batch-norm op)."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(_graph_bytes(seed, channels))
    return graph_def


def batch_norm_flags(seed: int = 0, channels: int = 4) -> dict[str, bool]:
    """``scale_after_normalization`` of each batch-norm node, by node name."""
    return dict(_built(seed, channels)[1])


# --------------------------------------------------------------------- label files
def _imagenet1k() -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1))
            for line in IMAGENET1K_LABELS.read_text(encoding="utf-8").splitlines()]


def class_to_synset(seed: int = 0) -> dict[int, str]:
    """Target classes 1..1000 shuffled over the 1000 synsets, with tench at 449 as in the real map."""
    synsets = [s for s, _ in _imagenet1k()]
    classes = np.random.default_rng(seed).permutation(np.arange(1, 1001))
    mapping = dict(zip(synsets, (int(c) for c in classes)))
    # Swap so the one documented real pair holds.
    holder = next(s for s, c in mapping.items() if c == TENCH_CLASS)
    mapping[holder], mapping[TENCH_SYNSET] = mapping[TENCH_SYNSET], TENCH_CLASS
    return {c: s for s, c in mapping.items()}


def synset_to_human_text() -> str:
    # The real file covers all 21k synsets; a few outside ImageNet-1k keep the reader honest.
    extra = [("n00004475", "organism, being"), ("n00005787", "benthos"),
             ("n00006024", "heterotroph")]
    return "".join(f"{s}\t{n}\n" for s, n in extra + _imagenet1k())


def class_map_text(seed: int = 0) -> str:
    head = ("# -*- protobuffer -*-\n"
            "# LabelMap from ImageNet 2012 full data set UID to int32 target class.\n\n")
    entries = sorted(class_to_synset(seed).items(), key=lambda item: item[1])
    return head + "".join(f'entry {{\n  target_class: {c}\n  target_class_string: "{s}"\n}}\n'
                          for c, s in entries)


def _panda_jpeg() -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=None)
def _member_bytes(seed: int, channels: int) -> tuple[tuple[str, bytes], ...]:
    return (
        (GRAPH_FILE, _graph_bytes(seed, channels)),
        (PANDA_FILE, _panda_jpeg()),
        (CLASS_TO_SYNSET_FILE, class_map_text(seed).encode()),
        (SYNSET_TO_NAME_FILE, synset_to_human_text().encode()),
        (LICENSE_FILE, b"Fake test archive; not the Inception v3 model.\n"),
    )


def fake_members(seed: int = 0, channels: int = 4) -> dict[str, bytes]:
    """Member name -> contents of a good fake archive (a fresh dict each call)."""
    return dict(_member_bytes(seed, channels))


# --------------------------------------------------------------------- archives
def tgz_bytes(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    """A gzipped tar of ``files`` (name -> bytes) and ``symlinks`` (name -> link target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1449273600  # 2015-12-05, fixed so the bytes are reproducible
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def fake_archive_bytes(seed: int = 0, channels: int = 4) -> bytes:
    return tgz_bytes(fake_members(seed, channels))


def build_fake_inception_archive(path: Path, seed: int = 0, channels: int = 4) -> Path:
    """Write the fake archive to ``path`` (a folder gets ``inception-2015-12-05.tgz``); return it."""
    path = Path(path)
    if path.is_dir():
        path = path / ARCHIVE_NAME
    path.write_bytes(fake_archive_bytes(seed, channels))
    return path


def truncated_bytes(data: bytes, fraction: float = 0.5) -> bytes:
    """The first ``fraction`` of ``data``, as an interrupted download leaves it."""
    return data[: int(len(data) * fraction)]


def random_bytes(size: int = 50_000, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def archive_missing_member(member: str, seed: int = 0) -> bytes:
    files = fake_members(seed)
    del files[member]
    return tgz_bytes(files)


EVIL_NAME = "evil"
EVIL_PATH = f"../{EVIL_NAME}"


def archive_with_path_traversal(seed: int = 0) -> bytes:
    """All good members plus ``../evil``, which a naive extractall writes beside the target."""
    files = fake_members(seed)
    files[EVIL_PATH] = b"written outside the data folder\n"
    return tgz_bytes(files)


def archive_with_symlink(seed: int = 0, target: str = f"../../{EVIL_NAME}") -> bytes:
    """All good members plus a symlink pointing outside the data folder."""
    return tgz_bytes(fake_members(seed), symlinks={"evil_link": target})
