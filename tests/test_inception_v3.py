"""The Inception v3 loader, on a fake 2015-style archive downloaded from a loopback server.

The reference for every number is the ORIGINAL GraphDef, old batch-norm op
and all, imported into a plain ``tf.Graph`` (TF 2.21 still runs it there
because the GraphDef's producer version predates the op's removal).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import fake_inception
from fake_inception import FIRST_CONV, LAST_CONV, OLD_BATCH_NORM, TENCH_CLASS, TENCH_SYNSET
from inception import Inception, inception_v3, maybe_download, optimize_image
from inception.config import ENV_DATA_DIR, ENV_MAX_ITERATIONS, ENV_MODEL
from inception.images import load_image
from inception.labels import IMAGENET1K_LABELS
from inception.visual_analysis import initial_images
from loopback_server import LoopbackServer

RTOL, ATOL = 1e-4, 1e-5
FEATURES = 2 * 4  # pool_3 channels of the fake graph (two towers of 4)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder holding the fake archive, downloaded and unpacked by ``maybe_download``."""
    folder = tmp_path_factory.mktemp("inception-data")
    with LoopbackServer() as server:
        url = server.serve("/" + inception_v3.ARCHIVE_NAME, fake_inception.fake_archive_bytes())
        maybe_download(url, data_dir=folder, show_progress=False)
    return folder


@pytest.fixture(scope="module")
def v3(data_dir):
    m = Inception("inception-v3", data_dir=data_dir)
    yield m
    m.close()


@pytest.fixture(scope="module")
def original(data_dir):
    """The unrewritten GraphDef from the download, in a plain graph with its own session."""
    import tensorflow as tf

    graph_def = inception_v3.read_graph_def(data_dir / "inception-v3" / inception_v3.GRAPH_FILE)
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    session = tf.compat.v1.Session(graph=graph)
    yield graph, session
    session.close()


def run_original(original, fetches, image: np.ndarray):
    """Run the original graph on one image, fed where the rewritten graph's input sits."""
    _, session = original
    return session.run(fetches, {inception_v3.INPUT_TENSOR: image[np.newaxis]})


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(7).uniform(0, 255, (3, 299, 299, 3)).astype(np.float32)


def batch_norm_names() -> list[str]:
    return sorted(fake_inception.batch_norm_flags())


# ------------------------------------------------------------------ the fixture is faithful
def test_fake_graph_is_old_style(original):
    graph, session = original
    graph_def = fake_inception.fake_graph_def()
    assert graph_def.versions.producer < 9
    assert sum(n.op == OLD_BATCH_NORM for n in graph_def.node) == len(batch_norm_names()) >= 9
    # Both branches of scale_after_normalization occur.
    assert set(fake_inception.batch_norm_flags().values()) == {True, False}
    # The original pipeline runs from JPEG bytes, with its hard-coded batch of one.
    jpeg = fake_inception.fake_members()[fake_inception.PANDA_FILE]
    scores = session.run("softmax:0", {"DecodeJpeg/contents:0": jpeg})
    assert scores.shape == (1, 1008)
    assert graph.get_tensor_by_name("ResizeBilinear:0").shape.as_list() == [1, 299, 299, 3]


# ------------------------------------------------------------------ loading and rewriting
def test_loads_with_the_documented_tensors(v3):
    assert v3.name == "inception-v3"
    assert v3.num_classes == 1008
    assert v3.input_size == (299, 299)
    assert v3.resized_image.name == "ResizeBilinear:0"
    assert v3.resized_image.shape.as_list() == [None, 299, 299, 3]
    assert v3.y_logits.name == "softmax/logits:0"
    assert v3.y_pred.name == "softmax:0"
    assert v3.transfer_layer.name == "pool_3:0"
    assert v3.y_pred.shape.as_list() == [None, 1008]


def test_conv_layer_names_follow_the_original_graph(v3, original):
    graph, _ = original
    expected = [op.name for op in graph.get_operations() if op.type == "Conv2D"]
    assert v3.conv_layer_names == expected
    assert v3.conv_layer_names[0] == FIRST_CONV
    assert v3.conv_layer_names[-1] == LAST_CONV
    assert "mixed/tower/conv/Conv2D" in v3.conv_layer_names


def test_rewritten_graph_has_no_old_ops(v3):
    ops = {op.name: op for op in v3.graph.get_operations()}
    assert OLD_BATCH_NORM not in {op.type for op in ops.values()}
    # Each batch norm keeps its name, now as the Add of the fold.
    for name in batch_norm_names():
        assert ops[name].type == "Add", name
    assert ops["ResizeBilinear"].type == "Placeholder"
    # The JPEG decoding in front of the input is pruned away.
    assert "DecodeJpeg" not in ops and "DecodeJpeg/contents" not in ops
    shape = v3.session.run("pool_3/_reshape/shape:0")
    assert shape.tolist() == [-1, FEATURES]


def test_outputs_equal_the_original_graph(v3, original, images):
    image = images[0]
    names = ["softmax:0", "softmax/logits:0", "pool_3:0", "mixed/tower/conv_1/Conv2D:0",
             f"{LAST_CONV}:0"] + [f"{n}:0" for n in batch_norm_names()]
    ours = v3.run(names, image[np.newaxis])
    reference = run_original(original, names, image)
    for name, a, b in zip(names, ours, reference):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=name)
    # The comparison has teeth: the batch norms really change their input,
    # and the outputs are not flat.
    conv_in, norm_out = run_original(original, ["conv/Conv2D:0", "conv/batchnorm:0"], image)
    assert not np.allclose(conv_in, norm_out, rtol=0.1, atol=0.1)
    assert reference[1].std() > 0.5  # logits
    assert np.count_nonzero(reference[2]) >= FEATURES // 2  # live pool_3 channels


@pytest.mark.parametrize("layer", ["conv_1/Conv2D", "mixed/tower/conv_1/Conv2D", LAST_CONV, None])
def test_gradient_through_folded_batch_norms_equals_the_original(v3, original, images, layer):
    import tensorflow as tf

    image = images[1]
    feature = 3
    conv_id = None if layer is None else v3.conv_layer_names.index(layer)
    objective, gradient = v3.feature_gradient(conv_id)(image[np.newaxis], np.array([feature]))

    graph, session = original
    with graph.as_default():
        target = graph.get_tensor_by_name((layer or "softmax/logits") + ":0")
        score = (tf.reduce_mean(target[..., feature]) if layer is not None else target[0, feature])
        # tf.gradients here differentiates the old op itself
        # (BatchNormWithGlobalNormalizationGrad).
        grad = tf.gradients(score, graph.get_tensor_by_name(inception_v3.INPUT_TENSOR))[0]
    ref_objective, ref_gradient = run_original(original, [score, grad], image)

    np.testing.assert_allclose(objective[0], ref_objective, rtol=RTOL, atol=ATOL)
    scale = np.abs(ref_gradient).max()
    assert scale > 0
    np.testing.assert_allclose(gradient, ref_gradient, rtol=RTOL, atol=ATOL * scale)


def test_batch_of_three_equals_three_single_runs(v3, original, images):
    fetches = [v3.y_pred, v3.y_logits, v3.transfer_layer, "pool_3/_reshape:0"]
    batch = v3.run(fetches, images)
    assert [a.shape for a in batch] == [(3, 1008), (3, 1008), (3, 1, 1, FEATURES), (3, FEATURES)]
    for i, image in enumerate(images):
        single = v3.run(fetches, image[np.newaxis])
        reference = run_original(original, ["softmax:0", "softmax/logits:0", "pool_3:0",
                                            "pool_3/_reshape:0"], image)
        for a, b, c in zip(batch, single, reference):
            np.testing.assert_allclose(a[i], b[0], rtol=RTOL, atol=ATOL)
            np.testing.assert_allclose(a[i], c[0], rtol=RTOL, atol=ATOL)
    # Different images give different rows, so the per-row check means something.
    assert not np.allclose(batch[1][0], batch[1][1])
    np.testing.assert_allclose(v3.predict(images), batch[0], rtol=RTOL, atol=ATOL)


def test_classify_from_path_and_array(v3, original, data_dir):
    panda = data_dir / "inception-v3" / fake_inception.PANDA_FILE
    from_path = v3.classify(image_path=panda)
    assert from_path.shape == (1008,)
    assert from_path.sum() == pytest.approx(1.0, abs=1e-4)
    picture = load_image(panda, (299, 299))
    np.testing.assert_allclose(v3.classify(image=picture), from_path, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(from_path, run_original(original, "softmax:0", picture)[0],
                               rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ labels
def test_name_lookup_reads_the_archive_label_files(v3):
    lookup = v3.name_lookup
    assert lookup.cls_to_name(TENCH_CLASS, only_first_name=True) == "tench"
    assert lookup.cls_to_name(TENCH_CLASS) == "tench, Tinca tinca"
    assert lookup.name_to_cls("tench") == TENCH_CLASS
    # Every target class maps to its synset's name from the archive files.
    names = dict(line.split("\t", 1)
                 for line in IMAGENET1K_LABELS.read_text(encoding="utf-8").splitlines())
    mapping = fake_inception.class_to_synset()
    assert sorted(mapping) == list(range(1, 1001))
    for cls, synset in mapping.items():
        assert lookup.cls_to_name(cls) == names[synset]
    # 0 and 1001..1007 are unused in the 2015 graph.
    assert lookup.cls_to_name(0) == "(unused class 0)"
    assert lookup.cls_to_name(1007) == "(unused class 1007)"
    with pytest.raises(ValueError, match="out of range"):
        lookup.cls_to_name(1008)
    assert TENCH_SYNSET == mapping[TENCH_CLASS]


# ------------------------------------------------------------------ choosing the model
def test_no_name_picks_inception_v3_once_downloaded(data_dir, monkeypatch):
    monkeypatch.delenv(ENV_MODEL, raising=False)
    monkeypatch.setenv(ENV_DATA_DIR, str(data_dir))
    with Inception() as m:
        assert m.name == "inception-v3"
        assert m.conv_layer_names[-1] == LAST_CONV


def test_no_name_picks_efficientnet_without_download(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_MODEL, raising=False)
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    with Inception() as m:
        assert m.name == "efficientnet-lite0"
    assert "not downloaded" in capsys.readouterr().err


def test_asking_for_inception_v3_without_download_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_MODEL, "inception-v3")
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="maybe_download"):
        Inception()


# ------------------------------------------------------------------ optimisation
@pytest.mark.parametrize("layer, feature", [("mixed/tower/conv_1/Conv2D", 2), (None, TENCH_CLASS)])
def test_optimize_image_raises_the_objective(v3, monkeypatch, layer, feature):
    monkeypatch.delenv(ENV_MAX_ITERATIONS, raising=False)
    conv_id = None if layer is None else v3.conv_layer_names.index(layer)
    objective = v3.feature_gradient(conv_id)
    start = initial_images(v3, 1, seed=3)
    before = objective(start, np.array([feature]))[0][0]

    image = optimize_image(conv_id=conv_id, feature=feature, model=v3, show_progress=False,
                           num_iterations=5, seed=3)

    assert image.shape == (299, 299, 3)
    assert image.min() >= 0 and image.max() <= 255
    after = objective(image[np.newaxis], np.array([feature]))[0][0]
    assert after > before + 1e-3 * max(1.0, abs(before)), (before, after)


# ------------------------------------------------------------------ a damaged graph file
@pytest.mark.parametrize("content, message", [
    (b"this is not a GraphDef", "not a valid GraphDef"),
    ("half", "not a valid GraphDef"),
    (b"", "no 'ResizeBilinear' node"),  # parses as an empty GraphDef
])
def test_corrupt_graph_file_gives_a_clear_value_error(data_dir, tmp_path, content, message):
    copy = tmp_path / "data"
    shutil.copytree(data_dir / "inception-v3", copy / "inception-v3")
    graph_file = copy / "inception-v3" / inception_v3.GRAPH_FILE
    if content == "half":
        content = graph_file.read_bytes()[: graph_file.stat().st_size // 2]
    graph_file.write_bytes(content)

    with pytest.raises(ValueError, match=message):
        Inception("inception-v3", data_dir=copy)
