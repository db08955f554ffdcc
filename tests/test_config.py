import pytest

from inception import config


def test_data_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("INCEPTION_DATA_DIR", raising=False)
    assert config.data_dir() == config.REPO_DIR / "data"
    monkeypatch.setenv("INCEPTION_DATA_DIR", str(tmp_path))
    assert config.data_dir() == tmp_path


def test_iteration_cap(monkeypatch):
    monkeypatch.delenv("INCEPTION_MAX_ITERATIONS", raising=False)
    assert config.capped_iterations(30) == 30
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "5")
    assert config.capped_iterations(3) == 3
    with pytest.warns(UserWarning):
        assert config.capped_iterations(30) == 5
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "many")
    with pytest.raises(ValueError, match="whole number"):
        config.capped_iterations(30)


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True])
def test_iteration_count_must_be_a_whole_number(bad):
    with pytest.raises(ValueError, match="num_iterations"):
        config.capped_iterations(bad)
