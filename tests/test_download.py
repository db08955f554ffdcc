"""``maybe_download`` against a loopback HTTP server serving a fake Inception v3 archive.

Every failure must leave the data folder as it found it: no archive, no
``.part`` file, no half-extracted folder that a later run could trust.
"""
from __future__ import annotations

import time
import traceback
from pathlib import Path

import pytest

from fake_inception import (EVIL_NAME, EVIL_PATH, MEMBER_NAMES, archive_missing_member,
                            archive_with_path_traversal, archive_with_symlink,
                            build_fake_inception_archive, fake_archive_bytes, fake_members,
                            random_bytes, tgz_bytes, truncated_bytes)
from inception import download
from inception.download import COMPLETE_MARKER, DownloadError, is_downloaded, maybe_download
from inception.inception_v3 import ARCHIVE_NAME, GRAPH_FILE, REQUIRED_FILES
from loopback_server import NOT_FOUND, STALL, TRUNCATED, LoopbackServer, closed_port

ARCHIVE_PATH = "/" + ARCHIVE_NAME


@pytest.fixture(scope="module")
def archive() -> bytes:
    return fake_archive_bytes()


@pytest.fixture
def server():
    with LoopbackServer() as running:
        yield running
    # A handler that crashed would otherwise go unnoticed.
    assert running.errors == []


@pytest.fixture
def data_dir(tmp_path) -> Path:
    # One level down, so files written "beside" the data folder still land inside tmp_path.
    return tmp_path / "work" / "data"


def dead_url() -> str:
    """A URL on a loopback port where nothing listens: any request to it fails."""
    return f"http://127.0.0.1:{closed_port()}{ARCHIVE_PATH}"


def assert_nothing_left(data_dir: Path) -> None:
    """No archive, ``.part``, extracted or staging folder remains."""
    left = sorted(p.name for p in data_dir.iterdir()) if data_dir.exists() else []
    assert left == [], f"left behind in the data folder: {left}"
    assert not is_downloaded(data_dir)


def assert_extracted(folder: Path, members: dict[str, bytes]) -> None:
    for name in MEMBER_NAMES:
        assert (folder / name).read_bytes() == members[name], name
    assert (folder / COMPLETE_MARKER).is_file()


# ------------------------------------------------------------------ success
def test_download_extracts_verifies_and_keeps_the_archive(server, archive, data_dir):
    url = server.serve(ARCHIVE_PATH, archive)
    assert not is_downloaded(data_dir)

    folder = maybe_download(url, data_dir=data_dir, show_progress=False)

    assert folder == data_dir / "inception-v3" == download.model_dir(data_dir)
    assert_extracted(folder, fake_members())
    assert is_downloaded(data_dir)
    # Only the archive and the folder: no .part, no staging folder.
    assert sorted(p.name for p in data_dir.iterdir()) == [ARCHIVE_NAME, "inception-v3"]
    assert (data_dir / ARCHIVE_NAME).read_bytes() == archive
    assert server.requests == [ARCHIVE_PATH]


def test_second_call_makes_no_request(server, archive, data_dir, capsys):
    url = server.serve(ARCHIVE_PATH, archive)
    first = maybe_download(url, data_dir=data_dir, show_progress=False)
    mtime = (first / GRAPH_FILE).stat().st_mtime_ns

    second = maybe_download(url, data_dir=data_dir, show_progress=True)
    # Even a URL that cannot be reached is fine: the network is not touched.
    third = maybe_download(dead_url(), data_dir=data_dir, show_progress=False)

    assert first == second == third
    assert server.request_count() == 1
    assert (first / GRAPH_FILE).stat().st_mtime_ns == mtime  # not extracted again
    assert "already" in capsys.readouterr().out


def test_archive_placed_by_hand_is_used_without_network(data_dir):
    data_dir.mkdir(parents=True)
    assert build_fake_inception_archive(data_dir) == data_dir / ARCHIVE_NAME

    folder = maybe_download(dead_url(), data_dir=data_dir, show_progress=False)

    assert_extracted(folder, fake_members())


def test_damaged_extraction_is_repaired_from_the_kept_archive(server, archive, data_dir):
    url = server.serve(ARCHIVE_PATH, archive)
    folder = maybe_download(url, data_dir=data_dir, show_progress=False)
    (folder / REQUIRED_FILES[1]).unlink()
    assert not is_downloaded(data_dir)

    maybe_download(url, data_dir=data_dir, show_progress=False)

    assert_extracted(folder, fake_members())
    assert server.request_count() == 1  # the verified archive on disk was enough


# ------------------------------------------------------------------ broken downloads
def test_truncated_download_is_refused_and_removed(server, archive, data_dir):
    url = server.serve(ARCHIVE_PATH, archive, mode=TRUNCATED)

    with pytest.raises(DownloadError, match="truncated") as info:
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert f"of {len(archive)} bytes" in str(info.value)
    assert server.request_count() == 1
    assert_nothing_left(data_dir)


@pytest.mark.parametrize("kind", ["random bytes", "cut archive", "empty"])
def test_corrupt_download_is_refused_and_removed(server, archive, data_dir, kind):
    # The byte count matches Content-Length here, so only the gzip/tar check can catch it.
    body = {"random bytes": random_bytes(), "cut archive": truncated_bytes(archive, 0.7),
            "empty": b""}[kind]
    url = server.serve(ARCHIVE_PATH, body)

    with pytest.raises(DownloadError, match="corrupt|truncated"):
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert_nothing_left(data_dir)


@pytest.mark.parametrize("member", REQUIRED_FILES)
def test_archive_missing_a_member_names_it(server, data_dir, member):
    url = server.serve(ARCHIVE_PATH, archive_missing_member(member))

    with pytest.raises(DownloadError) as info:
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert member in str(info.value)
    # Only the missing one is named.
    assert not any(other in str(info.value) for other in REQUIRED_FILES if other != member)
    assert_nothing_left(data_dir)


def test_path_traversal_member_is_refused(server, data_dir, tmp_path):
    url = server.serve(ARCHIVE_PATH, archive_with_path_traversal())

    with pytest.raises(DownloadError, match="outside") as info:
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert EVIL_PATH in str(info.value)
    assert_nothing_left(data_dir)
    assert not any(p.name == EVIL_NAME for p in tmp_path.rglob("*"))
    assert not (tmp_path.parent / EVIL_NAME).exists()


def test_symlink_member_is_refused(server, data_dir, tmp_path):
    url = server.serve(ARCHIVE_PATH, archive_with_symlink())

    with pytest.raises(DownloadError, match="link"):
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert_nothing_left(data_dir)
    assert not any(p.is_symlink() or p.name == EVIL_NAME for p in tmp_path.rglob("*"))


def test_stalled_server_times_out_quickly(server, archive, data_dir):
    url = server.serve(ARCHIVE_PATH, archive, mode=STALL)

    start = time.monotonic()
    with pytest.raises(DownloadError, match="stalled"):
        maybe_download(url, data_dir=data_dir, timeout=1, show_progress=False)
    elapsed = time.monotonic() - start

    # The server would stall for 10 s; only the client's timeout can end it this soon.
    assert elapsed < 5, elapsed
    assert_nothing_left(data_dir)


def test_http_404_is_reported(server, archive, data_dir):
    url = server.serve(ARCHIVE_PATH, archive, mode=NOT_FOUND)

    with pytest.raises(DownloadError, match="HTTP 404"):
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert server.request_count() == 1
    assert_nothing_left(data_dir)


def test_unreachable_server_suggests_the_offline_model(data_dir):
    with pytest.raises(DownloadError) as info:
        maybe_download(dead_url(), data_dir=data_dir, timeout=5, show_progress=False)

    exc = info.value
    assert "efficientnet-lite0" in str(exc)
    assert "maybe_download" in str(exc)
    # Raised "from None": the urllib chain is neither the cause nor shown as context.
    assert exc.__cause__ is None
    assert exc.__suppress_context__ is True
    shown = "".join(traceback.format_exception(exc))
    assert "URLError" not in shown and "During handling" not in shown
    assert_nothing_left(data_dir)


# ------------------------------------------------------------------ leftovers on disk
@pytest.mark.parametrize("kind", ["random bytes", "cut archive"])
def test_corrupt_archive_on_disk_is_replaced(server, archive, data_dir, capsys, kind):
    data_dir.mkdir(parents=True)
    damaged = random_bytes() if kind == "random bytes" else truncated_bytes(archive)
    (data_dir / ARCHIVE_NAME).write_bytes(damaged)
    url = server.serve(ARCHIVE_PATH, archive)

    folder = maybe_download(url, data_dir=data_dir, show_progress=False)

    assert "Deleted a damaged" in capsys.readouterr().out
    assert server.request_count() == 1
    assert (data_dir / ARCHIVE_NAME).read_bytes() == archive
    assert_extracted(folder, fake_members())


def test_leftover_part_file_is_not_trusted_when_download_fails(server, archive, data_dir):
    data_dir.mkdir(parents=True)
    # Even a complete, valid archive under the .part name must not be used.
    part = data_dir / (ARCHIVE_NAME + ".part")
    part.write_bytes(archive)
    url = server.serve(ARCHIVE_PATH, archive, mode=NOT_FOUND)

    with pytest.raises(DownloadError, match="HTTP 404"):
        maybe_download(url, data_dir=data_dir, show_progress=False)

    assert_nothing_left(data_dir)


def test_leftover_part_file_is_overwritten_by_the_fresh_download(server, archive, data_dir):
    data_dir.mkdir(parents=True)
    stale = fake_members()
    stale["LICENSE"] = b"stale copy from an interrupted run\n"
    (data_dir / (ARCHIVE_NAME + ".part")).write_bytes(tgz_bytes(stale))
    url = server.serve(ARCHIVE_PATH, archive)

    folder = maybe_download(url, data_dir=data_dir, show_progress=False)

    assert server.request_count() == 1
    assert_extracted(folder, fake_members())
    assert not (data_dir / (ARCHIVE_NAME + ".part")).exists()


def test_extracted_folder_without_marker_is_not_trusted(server, archive, data_dir):
    # An extraction cut short: the files are there but .complete is not.
    folder = data_dir / "inception-v3"
    folder.mkdir(parents=True)
    for name in REQUIRED_FILES:
        (folder / name).write_bytes(b"half-written")
    assert not is_downloaded(data_dir)
    url = server.serve(ARCHIVE_PATH, archive)

    maybe_download(url, data_dir=data_dir, show_progress=False)

    assert server.request_count() == 1
    assert_extracted(folder, fake_members())
