"""Read a legacy (pre-1.6, non-zip) PyTorch ``.pth`` file with pickle and numpy only.

The legacy format is five pickles in a row followed by raw tensor storage:
magic number, protocol version, system info, the pickled object (tensors
refer to storages through ``persistent_id``), and the list of storage keys
in the order their bytes follow. Each storage is an int64 element count and
then its little-endian data.
"""
from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class TorchPickleError(ValueError):
    """The file is not a legacy PyTorch pickle this reader understands."""


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _LazyStorage:
    """Placeholder for a storage whose bytes come after the object pickle."""

    def __init__(self, key: str, dtype: np.dtype, numel: int):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array: np.ndarray | None = None


class _PendingTensor:
    def __init__(self, storage: _LazyStorage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def materialize(self) -> np.ndarray:
        base = self.storage.array
        if base is None:
            raise TorchPickleError(f"storage {self.storage.key} has no data")
        itemsize = base.dtype.itemsize
        flat = base[self.offset:]
        if not self.size:
            return np.array(flat[0])
        view = np.lib.stride_tricks.as_strided(
            flat, shape=self.size, strides=[s * itemsize for s in self.stride])
        return np.array(view)  # copy: own the memory, C-contiguous


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *unused):
    return _PendingTensor(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad, backward_hooks, *unused):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO):
        super().__init__(file)
        self.storages: dict[str, _LazyStorage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise TorchPickleError(f"unsupported class {module}.{name} in torch pickle")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise TorchPickleError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if view_metadata is not None:
            raise TorchPickleError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _LazyStorage(key, storage_type.dtype, numel)
        return self.storages[key]


def _materialize(obj: Any) -> Any:
    if isinstance(obj, _PendingTensor):
        return obj.materialize()
    if isinstance(obj, dict):
        return type(obj)((k, _materialize(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v) for v in obj)
    return obj


def load_legacy_torch_pickle(path: str | Path) -> Any:
    """Load a legacy ``torch.save`` file; every tensor becomes a numpy array."""
    with open(path, "rb") as f:
        try:
            magic = pickle.load(f)
        except Exception as exc:  # noqa: BLE001 - any failure means "not this format"
            raise TorchPickleError(f"{path} is not a legacy torch pickle: {exc}") from exc
        if magic != LEGACY_MAGIC_NUMBER:
            raise TorchPickleError(f"{path} is not a legacy torch pickle (bad magic number; "
                                   "zip-format checkpoints are not supported)")
        version = pickle.load(f)
        if version != LEGACY_PROTOCOL_VERSION:
            raise TorchPickleError(f"unsupported torch pickle protocol {version}")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise TorchPickleError("big-endian torch pickles are not supported")
        unpickler = _Unpickler(f)
        obj = unpickler.load()
        keys = pickle.load(f)
        for key in keys:
            storage = unpickler.storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * storage.dtype.itemsize
            data = f.read(nbytes)
            if len(data) != nbytes:
                raise TorchPickleError(f"{path} is truncated (storage {key})")
            storage.array = np.frombuffer(data, dtype=storage.dtype)
    return _materialize(obj)
