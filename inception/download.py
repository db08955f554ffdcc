"""Download and unpack the Inception v3 archive, safely and only once.

The archive is fetched into ``<data_dir>/<name>.part``, checked (byte count
against Content-Length, gzip CRC, the three member files present), and only
then renamed to its final name. It is unpacked into a temporary folder that
is renamed into place last, so a half-done run never leaves files that a
later run would trust. A corrupt archive found on disk is deleted.
"""
from __future__ import annotations

import os
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from . import config
from .inception_v3 import ARCHIVE_NAME, DATA_URL, REQUIRED_FILES

MODEL_SUBDIR = "inception-v3"
COMPLETE_MARKER = ".complete"
CHUNK_SIZE = 1 << 16


class DownloadError(RuntimeError):
    """The model could not be downloaded or the archive is unusable."""


def model_dir(data_dir: str | Path | None = None) -> Path:
    """Folder that holds the unpacked Inception v3 files."""
    return Path(data_dir or config.data_dir()) / MODEL_SUBDIR


def is_downloaded(data_dir: str | Path | None = None) -> bool:
    """True when a complete, verified unpacked copy exists."""
    folder = model_dir(data_dir)
    return (folder / COMPLETE_MARKER).exists() and all((folder / f).is_file() for f in REQUIRED_FILES)


def _offline_help(url: str, reason: object) -> str:
    return (f"Could not download the Inception v3 model from {url}: {reason}.\n"
            "Check your internet connection and run inception.maybe_download() again, or download "
            f"{ARCHIVE_NAME} by hand into the data folder ({config.ENV_DATA_DIR} or ./data), "
            f"or use the embedded offline model: set {config.ENV_MODEL}=efficientnet-lite0.")


def _fetch(url: str, destination: Path, timeout: float, show_progress: bool) -> None:
    """Stream ``url`` into ``destination`` and check the byte count."""
    from tqdm.auto import tqdm

    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - http(s) URL by design
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"Download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        raise DownloadError(_offline_help(url, getattr(exc, "reason", exc))) from None
    expected = response.headers.get("Content-Length")
    expected = int(expected) if expected and expected.isdigit() else None
    received = 0
    try:
        with response, open(destination, "wb") as out, tqdm(
                total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                desc=f"Downloading {Path(url).name}", disable=not show_progress) as bar:
            while True:
                chunk = response.read(CHUNK_SIZE)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    except (socket.timeout, TimeoutError) as exc:
        raise DownloadError(f"Download of {url} stalled ({exc}); nothing was kept. "
                            "Run inception.maybe_download() again.") from None
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        # http.client.IncompleteRead is an HTTPException, handled below.
        raise DownloadError(f"Download of {url} was interrupted ({exc}); nothing was kept. "
                            "Run inception.maybe_download() again.") from None
    except Exception as exc:  # noqa: BLE001 - http.client.IncompleteRead and friends
        raise DownloadError(f"Download of {url} was interrupted ({type(exc).__name__}: {exc}); "
                            "nothing was kept. Run inception.maybe_download() again.") from None
    if expected is not None and received != expected:
        raise DownloadError(f"Download of {url} is truncated: got {received} of {expected} bytes; "
                            "nothing was kept. Run inception.maybe_download() again.")


def _safe_member_path(member: tarfile.TarInfo) -> PurePosixPath:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        raise DownloadError(f"archive member {member.name!r} would be written outside the data folder")
    return path


def verify_archive(archive: Path) -> None:
    """Raise :class:`DownloadError` unless ``archive`` is a complete, readable model archive."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()  # reads the whole stream, so the gzip CRC is checked
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DownloadError(f"{archive.name} is corrupt or truncated ({exc})") from None
    files = {}
    for member in members:
        path = _safe_member_path(member)
        if member.issym() or member.islnk() or member.isdev():
            raise DownloadError(f"archive member {member.name!r} is a link or device; refusing it")
        if member.isfile():
            files[path.name] = member
    missing = [f for f in REQUIRED_FILES if f not in files]
    if missing:
        raise DownloadError(f"{archive.name} lacks {', '.join(missing)}; it is not the Inception v3 archive")
    empty = [f for f in REQUIRED_FILES if files[f].size == 0]
    if empty:
        raise DownloadError(f"{archive.name} has empty files: {', '.join(empty)}")


def _extract(archive: Path, target: Path) -> None:
    """Unpack the required files (and nothing outside ``target``) atomically."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.extracting-"))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                path = _safe_member_path(member)
                if not member.isfile():
                    continue
                source = tar.extractfile(member)
                with source, open(staging / path.name, "wb") as out:
                    shutil.copyfileobj(source, out)
        (staging / COMPLETE_MARKER).write_text(archive.name + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def maybe_download(url: str = DATA_URL, data_dir: str | Path | None = None, timeout: float = 30.0,
                   show_progress: bool = True) -> Path:
    """Download and unpack Inception v3 unless a verified copy is there; return its folder.

    Parameters
    ----------
    url: where the archive lives (the official 2015 archive by default).
    data_dir: the data folder (default ``$INCEPTION_DATA_DIR`` or ``data/``).
    timeout: seconds to wait for the server before giving up.
    show_progress: show a tqdm progress bar.
    """
    data_dir = Path(data_dir or config.data_dir())
    target = model_dir(data_dir)
    if is_downloaded(data_dir):
        if show_progress:
            print(f"Inception v3 is already in {target}")
        return target
    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / Path(url).name
    if archive.exists():
        try:
            verify_archive(archive)
        except DownloadError as exc:
            archive.unlink()
            print(f"Deleted a damaged {archive.name} ({exc}); downloading it again.")
    if not archive.exists():
        part = data_dir / (archive.name + ".part")
        try:
            _fetch(url, part, timeout, show_progress)
            try:
                verify_archive(part)
            except DownloadError as exc:
                raise DownloadError(f"The downloaded file from {url} was deleted: {exc}. "
                                    "Run inception.maybe_download() again.") from None
            os.replace(part, archive)
        finally:
            part.unlink(missing_ok=True)
    if show_progress:
        print(f"Extracting {archive.name} ...")
    _extract(archive, target)
    if show_progress:
        print(f"Done: Inception v3 is in {target}")
    return target
