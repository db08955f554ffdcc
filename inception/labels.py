"""Class numbers to human-readable names, for both models."""
from __future__ import annotations

import re
from pathlib import Path

from .config import PACKAGE_DIR

IMAGENET1K_LABELS = PACKAGE_DIR / "data" / "imagenet1k_labels.txt"


class NameLookup:
    """Maps a model's class number to a WordNet synset id and its names.

    ``cls_to_name(cls, only_first_name=True)`` gives e.g. ``"tiger cat"``;
    with ``only_first_name=False`` the full comma-separated list.
    """

    def __init__(self, cls_to_synset: dict[int, str], synset_to_name: dict[str, str],
                 num_classes: int):
        self.cls_to_synset = cls_to_synset
        self.synset_to_name = synset_to_name
        self.num_classes = num_classes

    @classmethod
    def imagenet1k(cls) -> "NameLookup":
        """The standard 1000 ImageNet classes in sorted-synset order (shipped with the package)."""
        synsets, names = [], {}
        for line in IMAGENET1K_LABELS.read_text(encoding="utf-8").splitlines():
            synset, name = line.split("\t", 1)
            synsets.append(synset)
            names[synset] = name
        return cls(dict(enumerate(synsets)), names, len(synsets))

    @classmethod
    def from_inception_files(cls, class_to_synset_path: str | Path,
                             synset_to_name_path: str | Path, num_classes: int) -> "NameLookup":
        """Read the two label files of the Inception v3 archive."""
        names = {}
        for line in Path(synset_to_name_path).read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                synset, name = line.split("\t", 1)
                names[synset.strip()] = name.strip()
        text = Path(class_to_synset_path).read_text(encoding="utf-8")
        pairs = re.findall(r"target_class:\s*(\d+)\s+target_class_string:\s*\"(n\d+)\"", text)
        if not pairs:
            raise ValueError(f"{class_to_synset_path} holds no target_class entries")
        return cls({int(c): s for c, s in pairs}, names, num_classes)

    def _check(self, cls: int) -> int:
        if isinstance(cls, bool) or not isinstance(cls, (int,)) and not hasattr(cls, "__index__"):
            raise TypeError(f"class number must be an integer, got {cls!r}")
        cls = int(cls)
        if not 0 <= cls < self.num_classes:
            raise ValueError(f"class number {cls} is out of range: this model has "
                             f"{self.num_classes} classes, 0..{self.num_classes - 1}")
        return cls

    def cls_to_name(self, cls: int, only_first_name: bool = False) -> str:
        cls = self._check(cls)
        synset = self.cls_to_synset.get(cls)
        if synset is None:
            return f"(unused class {cls})"
        name = self.synset_to_name.get(synset, synset)
        return name.split(",")[0].strip() if only_first_name else name

    def name_to_cls(self, name: str) -> int:
        """The first class whose names include ``name`` (case-insensitive, whole name)."""
        wanted = name.strip().lower()
        for cls, synset in sorted(self.cls_to_synset.items()):
            names = [n.strip().lower() for n in self.synset_to_name.get(synset, "").split(",")]
            if wanted in names:
                return cls
        raise KeyError(f"no class named {name!r}")
