import collections
import io
import pickle
import struct
import sys
import types

import numpy as np
import pytest

from inception import efficientnet_lite0
from inception.torch_pickle import LEGACY_MAGIC_NUMBER, TorchPickleError, load_legacy_torch_pickle


# Stand-ins that pickle by reference as torch.FloatStorage and torch._utils._rebuild_tensor_v2,
# so this test writes the legacy format without torch installed.
class FloatStorage:
    pass


def _rebuild_tensor_v2(*args):  # pragma: no cover - only its pickled name matters
    raise AssertionError("never called")


FloatStorage.__module__ = "torch"
_rebuild_tensor_v2.__module__ = "torch._utils"


class _TensorRef:
    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array

    def __reduce__(self):
        a = self.array
        strides = tuple(s // a.itemsize for s in a.strides)
        storage = ("__storage__", self.key, a.size)
        return _rebuild_tensor_v2, (storage, 0, a.shape, strides, False, collections.OrderedDict())


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, tuple) and len(obj) == 3 and obj[0] == "__storage__":
            return ("storage", FloatStorage, obj[1], "cpu", obj[2], None)
        return None


def write_legacy_torch_file(path, arrays: dict) -> None:
    fake_torch = types.ModuleType("torch")
    fake_torch.FloatStorage = FloatStorage
    fake_utils = types.ModuleType("torch._utils")
    fake_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules.update({"torch": fake_torch, "torch._utils": fake_utils})
    try:
        state = collections.OrderedDict(
            (k, _TensorRef(str(i), a)) for i, (k, a) in enumerate(arrays.items()))
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=2).dump(state)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    with open(path, "wb") as f:
        pickle.dump(LEGACY_MAGIC_NUMBER, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
        f.write(buffer.getvalue())
        pickle.dump([str(i) for i in range(len(arrays))], f, protocol=2)
        for a in arrays.values():
            f.write(struct.pack("<q", a.size))
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def test_round_trip_of_a_written_legacy_file(tmp_path):
    arrays = {"conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
              "fc.bias": np.array([1.5, -2.0], dtype=np.float32)}
    path = tmp_path / "tiny.pth"
    write_legacy_torch_file(path, arrays)
    loaded = load_legacy_torch_pickle(path)
    assert list(loaded) == list(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def test_truncated_file_is_reported(tmp_path):
    path = tmp_path / "cut.pth"
    write_legacy_torch_file(path, {"w": np.ones((4, 4), dtype=np.float32)})
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(TorchPickleError, match="truncated"):
        load_legacy_torch_pickle(path)


def test_not_a_torch_file(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"PK\x03\x04 this looks like a zip")
    with pytest.raises(TorchPickleError, match="not a legacy torch pickle"):
        load_legacy_torch_pickle(path)


def test_real_efficientnet_weights_load_without_torch():
    assert "torch" not in sys.modules
    weights = efficientnet_lite0.load_weights()
    assert efficientnet_lite0.count_parameters(weights) == 4_652_008
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert all(np.all(np.isfinite(v)) for v in weights.values())
    # Variances are never negative and mostly positive (a few dead channels have exactly 0);
    # a mis-read storage offset would put negative numbers here.
    variances = np.concatenate([v for k, v in weights.items() if k.endswith("running_var")])
    assert variances.min() >= 0 and np.mean(variances > 0) > 0.95
