"""Where files live and the few environment variables the package reads.

- ``INCEPTION_DATA_DIR``: folder for downloaded and converted models
  (default: ``data/`` at the repository root, git-ignored).
- ``INCEPTION_MODEL``: which model ``Inception()`` loads when given no name
  (``inception-v3`` or ``efficientnet-lite0``).
- ``INCEPTION_MAX_ITERATIONS``: an upper bound on every optimisation loop's
  iteration count, so a test run or a quick classroom pass can execute the
  notebooks unchanged in seconds.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
IMAGES_DIR = REPO_DIR / "images"

ENV_DATA_DIR = "INCEPTION_DATA_DIR"
ENV_MODEL = "INCEPTION_MODEL"
ENV_MAX_ITERATIONS = "INCEPTION_MAX_ITERATIONS"


def data_dir() -> Path:
    """The folder that holds downloaded and converted model files."""
    configured = os.environ.get(ENV_DATA_DIR)
    return Path(configured).expanduser() if configured else REPO_DIR / "data"


def capped_iterations(num_iterations: int) -> int:
    """``num_iterations``, lowered to ``INCEPTION_MAX_ITERATIONS`` when that is set."""
    if not isinstance(num_iterations, (int,)) or isinstance(num_iterations, bool) or num_iterations < 0:
        raise ValueError(f"num_iterations must be a whole number >= 0, got {num_iterations!r}")
    raw = os.environ.get(ENV_MAX_ITERATIONS)
    if not raw:
        return num_iterations
    try:
        cap = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_MAX_ITERATIONS} must be a whole number, got {raw!r}") from None
    if num_iterations > cap:
        # Python's default warning filter shows this once per calling line, not per loop.
        warnings.warn(f"{ENV_MAX_ITERATIONS}={cap}: optimisation loops run at most {cap} iterations",
                      stacklevel=3)
    return min(num_iterations, cap)
