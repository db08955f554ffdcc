"""Feature maps of a photo: the layer list, seed 003's normalisation, the grid, sparsity."""
import numpy as np
import pytest

from inception.feature_maps import (channel_grid, dead_channels, normalize_channels,
                                    rectified_layer_names, sparsity_profile, spread_layers)


def test_rectified_layers_run_shallow_to_deep(model):
    names = rectified_layer_names(model)
    assert len(names) == 33
    assert names[0] == "stem/Relu6" and names[-1] == "head/Relu6"
    assert all(model.graph.get_operation_by_name(n).type == "Relu6" for n in names)
    order = {op.name: i for i, op in enumerate(model.graph.get_operations())}
    assert [order[n] for n in names] == sorted(order[n] for n in names)


def test_rectified_layers_of_an_inception_v3_graph(fake_v3):
    names = rectified_layer_names(fake_v3)
    # One Relu per conv, named like the conv's scope.
    assert names == [conv.rsplit("/", 1)[0] for conv in fake_v3.conv_layer_names]


def test_spread_layers():
    names = [f"l{i}" for i in range(33)]
    picked = spread_layers(names, 5)
    assert picked == ["l0", "l8", "l16", "l24", "l32"]
    assert spread_layers(names, 1) == ["l0"]
    assert spread_layers(names[:3], 10) == names[:3]
    with pytest.raises(ValueError, match="positive"):
        spread_layers(names, 0)
    with pytest.raises(ValueError, match="no layers"):
        spread_layers([], 3)


def test_normalisation_is_seed_003s_per_channel_formula(rng):
    activation = rng.normal(3.0, 2.0, (6, 5, 4)).astype(np.float32)
    activation[..., 1] *= 1000.0           # a loud channel must not drown the others
    activation[..., 3] = 0.0               # a dead channel
    out = normalize_channels(activation)
    assert out.shape == activation.shape and out.min() >= 0 and out.max() <= 255
    for c in (0, 2):
        x = activation[..., c]
        expected = np.clip((x - x.mean()) / x.std() * 128 + 128, 0, 255)
        np.testing.assert_allclose(out[..., c], expected, rtol=1e-5, atol=1e-3)
    # Each channel on its own scale: scaling and shifting a channel changes nothing.
    np.testing.assert_allclose(normalize_channels(activation * 7 + 2)[..., :3], out[..., :3], atol=1e-2)
    assert np.all(out[..., 3] == 0)
    np.testing.assert_array_equal(dead_channels(activation), [False, False, False, True])


def test_channel_grid_layout(rng):
    activation = np.abs(rng.normal(size=(7, 5, 70))).astype(np.float32)
    activation[..., 9] = 0.0
    grid = channel_grid(activation)
    assert grid.shape == (8 * 7, 8 * 5)                       # 64 channels in 8 columns
    cell = grid[7:14, 5:10]                                   # row 1, column 1: channel 9
    assert np.isnan(cell).all()
    np.testing.assert_allclose(grid[:7, 10:15], normalize_channels(activation)[..., 2])
    assert np.isfinite(np.delete(grid, np.s_[7:14], axis=0)).all()
    small = channel_grid(activation[..., :10], channels=64, columns=4)
    assert small.shape == (3 * 7, 4 * 5)                      # 10 channels -> 3 rows of 4
    assert np.isnan(small[14:, 10:]).all()                    # the unused cells stay empty
    with pytest.raises(ValueError, match="height, width, channels"):
        channel_grid(activation[np.newaxis])


def test_deep_layers_are_sparser_than_shallow_ones(model, cat_image):
    profile = sparsity_profile(model, cat_image)
    assert [p.layer for p in profile] == rectified_layer_names(model)
    third = len(profile) // 3
    shallow, deep = profile[:third], profile[-third:]
    assert np.mean([p.dead_fraction for p in deep]) > 2 * np.mean([p.dead_fraction for p in shallow])
    assert np.mean([p.zero_fraction for p in deep]) > np.mean([p.zero_fraction for p in shallow])
    head = profile[-1]
    assert head.channels == 1280 and head.dead_channels > head.channels // 4
    activation = model.activations(cat_image, ["head/Relu6"])[0][0]
    assert head.dead_channels == int((activation.max(axis=(0, 1)) == 0).sum())


def test_bad_input(model, cat_image):
    with pytest.raises(KeyError, match="no layer named"):
        sparsity_profile(model, cat_image, ["block99/Relu6"])
    with pytest.raises(ValueError, match="batch of 2"):
        sparsity_profile(model, np.stack([cat_image, cat_image]))
    with pytest.raises(ValueError, match="shape"):
        sparsity_profile(model, cat_image[:100])
