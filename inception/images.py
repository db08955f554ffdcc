"""Loading sample photos and resizing images to a model's input."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import IMAGES_DIR

SAMPLE_PHOTOS = {
    "cat": "cat.jpg",
    "coffee": "coffee.jpg",
    "astronaut": "astronaut.jpg",
    "rocket": "rocket.jpg",
}


def sample_photo_path(name: str) -> Path:
    """Path of a photo shipped in ``images/`` (see ``images/README.md`` for sources)."""
    if name not in SAMPLE_PHOTOS:
        raise KeyError(f"unknown sample photo {name!r}; choose one of {', '.join(SAMPLE_PHOTOS)}")
    return IMAGES_DIR / SAMPLE_PHOTOS[name]


def resize_image(image, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W, 3) RGB array (0..255) to ``size`` = (height, width), bilinear, no crop."""
    from PIL import Image

    array = np.asarray(image)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"expected an RGB image of shape (height, width, 3), got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"expected a numeric image array, got dtype {array.dtype}")
    if array.shape[:2] == tuple(size):
        return array.astype(np.float32)
    pil = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    return np.asarray(pil.resize((size[1], size[0]), Image.BILINEAR), dtype=np.float32)


def load_image(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read a photo as float32 RGB 0..255, resized to ``size`` (height, width) if given."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as pil:
            array = np.asarray(pil.convert("RGB"), dtype=np.float32)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path} is not an image file PIL can read ({exc})") from None
    return resize_image(array, size) if size else array
