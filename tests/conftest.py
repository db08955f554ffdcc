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


@pytest.fixture
def rng():
    return np.random.default_rng(0)
