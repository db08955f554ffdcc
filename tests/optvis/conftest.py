"""A fake Inception v3 (the 2015 graph's structure, few channels, 299x299 input) for optvis tests."""
import pytest


@pytest.fixture(scope="session")
def fake_v3(tmp_path_factory):
    from fake_inception import fake_members

    from inception import Inception, download

    data_dir = tmp_path_factory.mktemp("fake_v3")
    folder = download.model_dir(data_dir)
    folder.mkdir(parents=True)
    for name, data in fake_members().items():
        (folder / name).write_bytes(data)
    (folder / download.COMPLETE_MARKER).touch()
    model = Inception("inception-v3", data_dir=data_dir)
    yield model
    model.close()
