"""The Inception interface on the embedded EfficientNet-Lite0 model."""
import numpy as np
import pytest

import inception
from inception import efficientnet_lite0
from inception.model import prepare_image_batch


def test_interface(model):
    assert model.name == "efficientnet-lite0"
    assert model.input_size == (224, 224)
    assert model.num_classes == 1000
    assert model.resized_image.shape.as_list() == [None, 224, 224, 3]
    assert model.y_logits.shape.as_list() == [None, 1000]
    assert model.y_pred.shape.as_list() == [None, 1000]
    assert model.transfer_layer.shape.as_list() == [None, 1280]
    assert "efficientnet-lite0" in repr(model)


def test_conv_layer_names_read_well(model):
    names = model.conv_layer_names
    assert len(names) == 49
    assert names[0] == "stem/Conv2D"
    assert names[-1] == "head/Conv2D"
    assert "block3/expand/Conv2D" in names and "block3/depthwise/depthwise" in names
    assert inception.get_conv_layer_names(model) == names
    types = {model.graph.get_operation_by_name(n).type for n in names}
    assert types == {"Conv2D", "DepthwiseConv2dNative"}


def test_layer_shapes(model):
    shapes = dict(model.layer_shapes())
    assert shapes["stem/Conv2D"] == (112, 112, 32)
    assert shapes["head/Conv2D"] == (7, 7, 1280)


@pytest.mark.parametrize("photo, expected_top3", [
    ("cat", {"tiger cat", "Egyptian cat", "tabby"}),
    ("coffee", None),
])
def test_real_photos_are_classified(model, photo, expected_top3):
    scores = model.classify(image_path=inception.sample_photo_path(photo))
    assert scores.shape == (1000,)
    assert abs(scores.sum() - 1.0) < 1e-4
    top = model.top_k(scores, 3)
    if expected_top3:
        assert {name for _, name, _ in top} == expected_top3
    else:
        assert top[0][1] == "espresso" and top[0][2] > 0.85


def test_classify_accepts_an_array_of_any_size(model, cat_image):
    from_path = model.classify(image_path=inception.sample_photo_path("cat"))
    raw = inception.load_image(inception.sample_photo_path("cat"))
    assert raw.shape != (224, 224, 3)
    np.testing.assert_allclose(model.classify(image=raw), from_path, atol=1e-5)


def test_batch_rows_equal_single_images(model, cat_image, coffee_image):
    batch = model.predict(np.stack([cat_image, coffee_image]))
    np.testing.assert_allclose(batch[0], model.predict(cat_image)[0], atol=1e-5)
    np.testing.assert_allclose(batch[1], model.predict(coffee_image)[0], atol=1e-5)


def test_graph_def_matches_the_weights_batch_norm_folding(model, cat_image):
    # The stem output recomputed in numpy from the torch weights (SAME padding, stride 2).
    weights = efficientnet_lite0.load_weights()
    stem = model.activations(cat_image, ["stem/Conv2D"])[0][0]
    x = (cat_image - 127.0) / 128.0
    padded = np.pad(x, ((0, 1), (0, 1), (0, 0)))  # TF SAME for k=3, s=2 on even input
    w = weights["_conv_stem.weight"].transpose(2, 3, 1, 0)
    i, j, c = 10, 37, 5
    patch = padded[2 * i:2 * i + 3, 2 * j:2 * j + 3, :]
    assert stem[i, j, c] == pytest.approx(float((patch * w[..., c]).sum()), rel=1e-4, abs=1e-4)


def test_frozen_graph_is_cached(tmp_path):
    first = efficientnet_lite0.load_graph_def(tmp_path)
    cached = list(tmp_path.glob("frozen_graph_*.pb"))
    assert len(cached) == 1
    second = efficientnet_lite0.load_graph_def(tmp_path)
    assert first == second
    # A damaged cache is rebuilt, never trusted.
    cached[0].write_bytes(b"garbage")
    assert efficientnet_lite0.load_graph_def(tmp_path) == first


@pytest.mark.parametrize("conv_id", [49, 1000, -1])
def test_conv_id_out_of_range_names_the_range(model, conv_id):
    with pytest.raises(IndexError, match=r"0\.\.48") as info:
        model.conv_layer_name(conv_id)
    assert "get_conv_layer_names" in str(info.value)


def test_conv_id_wrong_type(model):
    with pytest.raises(TypeError, match="integer"):
        model.conv_layer_name("3")
    with pytest.raises(TypeError):
        model.conv_layer_name(True)


def test_feature_past_channel_count_names_the_count(model):
    with pytest.raises(IndexError, match="32 channels"):
        model.check_feature(0, 32)
    with pytest.raises(IndexError, match="1000 classes"):
        model.check_feature(None, 1000)
    assert model.check_feature(0, 31) == 31


def test_unknown_layer_name(model):
    with pytest.raises(KeyError, match="no layer named"):
        model.layer_tensor("block99/Conv2D")


@pytest.mark.parametrize("bad, message", [
    (np.zeros((100, 100, 3)), r"shape \(224, 224, 3\)"),
    (np.zeros((224, 224)), "RGB"),
    (np.zeros((2, 224, 224, 4)), "RGB"),
    ("cat.jpg", "path"),
    (np.full((224, 224, 3), np.nan), "NaN"),
    (np.array([["a"]]), "RGB image"),
])
def test_bad_images_give_clear_errors(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        prepare_image_batch(bad, (224, 224))


def test_classify_needs_exactly_one_source(model, cat_image):
    with pytest.raises(ValueError, match="exactly one"):
        model.classify()
    with pytest.raises(ValueError, match="exactly one"):
        model.classify(image_path="x.jpg", image=cat_image)


def test_not_an_image_file(model, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("not a picture")
    with pytest.raises(ValueError, match="not an image"):
        model.classify(image_path=bogus)
    with pytest.raises(FileNotFoundError):
        model.classify(image_path=tmp_path / "missing.jpg")


def test_unknown_model_name():
    with pytest.raises(ValueError, match="inception-v3, efficientnet-lite0"):
        inception.Inception("resnet")


def test_name_lookup(model):
    assert model.name_lookup.cls_to_name(967, only_first_name=True) == "espresso"
    assert model.name_lookup.cls_to_name(282) == "tiger cat"
    assert model.name_lookup.name_to_cls("tiger cat") == 282
    with pytest.raises(ValueError, match="1000 classes"):
        model.name_lookup.cls_to_name(1000)
    with pytest.raises(KeyError):
        model.name_lookup.name_to_cls("unicorn")
