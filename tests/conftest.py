"""Shared fixtures. Every test runs offline on the embedded EfficientNet-Lite0 model."""
from __future__ import annotations

import os

import numpy as np
import pytest

# Keep the tests offline and independent of anything a user downloaded into data/.
os.environ["INCEPTION_MODEL"] = "efficientnet-lite0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def model():
    """One EfficientNet-Lite0 model for the whole session (loading takes seconds)."""
    import inception

    m = inception.Inception("efficientnet-lite0")
    yield m
    m.close()


@pytest.fixture(scope="session")
def cat_image(model):
    import inception
    return inception.load_image(inception.sample_photo_path("cat"), model.input_size)


@pytest.fixture(scope="session")
def coffee_image(model):
    import inception
    return inception.load_image(inception.sample_photo_path("coffee"), model.input_size)


@pytest.fixture(scope="session")
def fake_v3(tmp_path_factory):
    """An Inception v3 built like the 2015 graph (Relu ops named like their scope, Concat joins,
    pool_3, 1008 classes, 299x299 input) with few channels, unpacked as maybe_download would:
    checks that nothing depends on EfficientNet's names or sizes."""
    from fake_inception import fake_members

    from inception import Inception, download

    data_dir = tmp_path_factory.mktemp("fake_v3")
    folder = download.model_dir(data_dir)
    folder.mkdir(parents=True)
    for name, data in fake_members().items():
        (folder / name).write_bytes(data)
    (folder / download.COMPLETE_MARKER).touch()
    m = Inception("inception-v3", data_dir=data_dir)
    yield m
    m.close()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
