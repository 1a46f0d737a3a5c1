"""course.download / course.datasets: the real data files, and the mirror download path
against a local HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import os
import re
import shutil
import socket
import stat
import threading
from pathlib import Path

import numpy as np
import pytest

import course.download as download
from course import datasets
from course.datasets import HOUSING_NUMERIC, MNIST_FILES, load_housing, load_mnist
from course.download import DataFile, DataNotAvailableError, data_dir, ensure_file

REPO = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SMALL = MNIST_FILES["train_label"]  # 28881 bytes: quick to serve
TIMEOUT = 5.0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _no_part_files(directory: Path) -> None:
    leftovers = [p.name for p in directory.iterdir() if p.name.endswith(".part")]
    assert leftovers == [], leftovers


# --- the real files (COURSE_MNIST_DIR / COURSE_HOUSING_DIR from conftest) --------------------

@pytest.fixture(scope="module")
def mnist_float():
    return load_mnist()


@pytest.fixture(scope="module")
def mnist_uint8():
    return load_mnist(normalize=False)


def test_mnist_normalized_shapes_dtype_range(mnist_float):
    (x_train, t_train), (x_test, t_test) = mnist_float
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    for x in (x_train, x_test):
        assert x.dtype == np.float32
        assert x.min() == 0.0 and x.max() == 1.0
    for t in (t_train, t_test):
        assert t.dtype.kind == "i"
        assert t.min() == 0 and t.max() == 9


def test_mnist_known_facts(mnist_float):
    (x_train, t_train), (_, t_test) = mnist_float
    assert t_train[0] == 5  # the famous first training digit
    assert list(t_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(t_test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(t_train, minlength=10).tolist() == TRAIN_COUNTS
    test_counts = np.bincount(t_test, minlength=10)
    assert test_counts.tolist() == TEST_COUNTS and test_counts.sum() == 10000
    assert abs(float(x_train.mean()) - 0.1307) < 1e-3  # the usual normalisation mean


def test_mnist_unnormalized_is_uint8_and_consistent(mnist_float, mnist_uint8):
    (xf, tf), (xf_test, _) = mnist_float
    (xu, tu), (xu_test, _) = mnist_uint8
    assert xu.dtype == np.uint8 and xu_test.dtype == np.uint8
    assert xu.shape == (60000, 784) and xu_test.shape == (10000, 784)
    assert xu.max() == 255 and xu.min() == 0
    np.testing.assert_array_equal(xf[:500], xu[:500].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(xf_test[-500:], xu_test[-500:].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(tf, tu)
    assert xu.flags.writeable  # a copy, not a view of the read-only file buffer


def test_mnist_not_flattened(mnist_uint8):
    (x4, t4), (x4_test, _) = load_mnist(normalize=False, flatten=False)
    (xu, tu), (xu_test, _) = mnist_uint8
    assert x4.shape == (60000, 1, 28, 28) and x4_test.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(x4.reshape(60000, 784), xu)
    np.testing.assert_array_equal(x4_test.reshape(10000, 784), xu_test)
    np.testing.assert_array_equal(t4, tu)
    # row-major 28x28: the 6th row of the first test image equals pixels 140..167 of the vector
    np.testing.assert_array_equal(x4_test[0, 0, 5], xu_test[0, 140:168])


def test_mnist_one_hot_labels_match_indices(mnist_uint8):
    (_, oh_train), (_, oh_test) = load_mnist(normalize=False, one_hot_label=True)
    (_, t_train), (_, t_test) = mnist_uint8
    for oh, t in ((oh_train, t_train), (oh_test, t_test)):
        assert oh.shape == (len(t), 10)
        assert oh.dtype.kind == "f"
        assert set(np.unique(oh).tolist()) == {0.0, 1.0}
        np.testing.assert_array_equal(oh.sum(axis=1), 1.0)
        np.testing.assert_array_equal(oh.argmax(axis=1), t)
    assert oh_train[0].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]


def test_housing():
    table = load_housing()
    assert set(table) == set(HOUSING_NUMERIC) | {"ocean_proximity"}
    for name in HOUSING_NUMERIC:
        column = table[name]
        assert column.shape == (20640,), name
        assert column.dtype == np.float64, name
        expected_nans = 207 if name == "total_bedrooms" else 0
        assert int(np.isnan(column).sum()) == expected_nans, name
    ocean = table["ocean_proximity"]
    assert ocean.shape == (20640,) and ocean.dtype.kind == "U"
    categories, counts = np.unique(ocean, return_counts=True)
    assert dict(zip(categories.tolist(), counts.tolist())) == {
        "<1H OCEAN": 9136, "INLAND": 6551, "ISLAND": 5, "NEAR BAY": 2290, "NEAR OCEAN": 2658}
    assert table["longitude"][0] == -122.23 and table["latitude"][0] == 37.88
    assert table["median_house_value"][0] == 452600.0


# --- data_dir -------------------------------------------------------------------------------

def test_data_dir_env_var_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_X_DIR", str(tmp_path / "configured"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir("COURSE_X_DIR", "x") == tmp_path / "configured"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COURSE_X_DIR", "~/mnist")
    assert data_dir("COURSE_X_DIR", "x") == tmp_path / "home" / "mnist"


def test_data_dir_falls_back_to_xdg_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_X_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir("COURSE_X_DIR", "mnist") == tmp_path / "xdg" / "genba-dl-course" / "mnist"
    monkeypatch.setenv("COURSE_X_DIR", "")  # empty counts as unset
    assert data_dir("COURSE_X_DIR", "housing") == tmp_path / "xdg" / "genba-dl-course" / "housing"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir("COURSE_X_DIR", "mnist") == tmp_path / "home" / ".cache" / "genba-dl-course" / "mnist"


# --- a local mirror ---------------------------------------------------------------------------

class _MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """/good/<name>: the file (served by http.server itself); other prefixes misbehave."""

    timeout = 10  # a stuck connection cannot hang the server thread

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        mode, _, name = self.path.lstrip("/").partition("/")
        if mode == "good":
            self.path = "/" + name
            return super().do_GET()
        source = Path(self.directory) / name
        if mode == "missing" or not source.is_file():
            return self.send_error(404)
        data = source.read_bytes()
        self.send_response(200)
        if mode == "chunked-cut":  # a chunked response cut off in the middle of a chunk
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n" % len(data) + data[: len(data) // 2])
        elif mode == "truncated":  # announces the full length, sends half, closes
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
        elif mode == "wrong":  # right length, one byte flipped
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
        self.close_connection = True


class _Mirror:
    def __init__(self, server: http.server.ThreadingHTTPServer, root: Path):
        self.server = server
        self.root = root
        self.requests: list[str] = server.requests

    def url(self, mode: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/{mode}"


@pytest.fixture(scope="module")
def _mirror_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    for spec in MNIST_FILES.values():
        shutil.copyfile(SHARED_MNIST / spec.name, root / spec.name)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_MirrorHandler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield _Mirror(server, root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


@pytest.fixture
def mirror(_mirror_server, monkeypatch):
    _mirror_server.requests.clear()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return _mirror_server


@pytest.fixture
def closed_url():
    """A 127.0.0.1 port that is bound but not listening: connections are refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mnist"
    finally:
        sock.close()


def _spec(base: DataFile, *mirrors: str) -> DataFile:
    return dataclasses.replace(base, mirrors=tuple(mirrors))


def test_ensure_file_downloads_from_local_mirror(mirror, tmp_path):
    target_dir = tmp_path / "not" / "yet" / "there"
    spec = _spec(SMALL, mirror.url("good"))
    path = ensure_file(spec, target_dir, "COURSE_TEST_DIR", timeout=TIMEOUT)
    assert path == target_dir / SMALL.name
    assert path.read_bytes() == (SHARED_MNIST / SMALL.name).read_bytes()
    assert download.sha256_of(path) == SMALL.sha256
    assert sorted(p.name for p in target_dir.iterdir()) == [SMALL.name]
    assert mirror.requests == [f"/good/{SMALL.name}"]
    # verified and present: no second download
    assert ensure_file(spec, target_dir, "COURSE_TEST_DIR", timeout=TIMEOUT) == path
    assert mirror.requests == [f"/good/{SMALL.name}"]


def test_downloaded_file_is_readable_by_others_under_umask_022(mirror, tmp_path):
    # The data directory may be shared (COURSE_MNIST_DIR): the file must follow the umask like
    # any normal download, not tempfile.mkstemp's private 0600.
    old = os.umask(0o022)
    try:
        path = ensure_file(_spec(SMALL, mirror.url("good")), tmp_path, "COURSE_TEST_DIR", timeout=TIMEOUT)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_load_mnist_downloads_all_files_through_mirror(mirror, monkeypatch, tmp_path, closed_url):
    target_dir = tmp_path / "mnist"
    monkeypatch.setenv("COURSE_MNIST_DIR", str(target_dir))
    monkeypatch.setattr(datasets, "MNIST_FILES",
                        {k: _spec(s, closed_url, mirror.url("good")) for k, s in MNIST_FILES.items()})
    (x, t), (x_test, t_test) = load_mnist(normalize=False)
    assert x.shape == (60000, 784) and x_test.shape == (10000, 784) and t[0] == 5
    assert np.bincount(t_test, minlength=10).tolist() == TEST_COUNTS
    assert sorted(p.name for p in target_dir.iterdir()) == sorted(s.name for s in MNIST_FILES.values())
    for spec in MNIST_FILES.values():
        assert download.sha256_of(target_dir / spec.name) == spec.sha256
    assert sorted(mirror.requests) == sorted(f"/good/{s.name}" for s in MNIST_FILES.values())


@pytest.mark.parametrize("bad", ["truncated", "wrong", "chunked-cut", "missing"])
def test_bad_first_mirror_is_rejected_and_second_used(mirror, tmp_path, bad):
    spec = _spec(SMALL, mirror.url(bad), mirror.url("good"))
    path = ensure_file(spec, tmp_path, "COURSE_TEST_DIR", timeout=TIMEOUT)
    assert download.sha256_of(path) == SMALL.sha256
    assert mirror.requests == [f"/{bad}/{SMALL.name}", f"/good/{SMALL.name}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [SMALL.name]


def test_all_mirrors_bad_leaves_nothing_behind(mirror, tmp_path):
    modes = ("truncated", "wrong", "chunked-cut", "missing")
    spec = _spec(SMALL, *(mirror.url(m) for m in modes))
    with pytest.raises(DataNotAvailableError) as info:
        ensure_file(spec, tmp_path, "COURSE_TEST_DIR", timeout=TIMEOUT)
    message = str(info.value)
    for mode in modes:
        assert f"{mirror.url(mode)}/{SMALL.name}" in message
    assert "SHA-256 mismatch" in message
    assert mirror.requests == [f"/{m}/{SMALL.name}" for m in modes]
    assert list(tmp_path.iterdir()) == []  # neither the bad file nor a .part file


@pytest.mark.parametrize("corruption", ["garbage", "truncated"])
def test_corrupt_file_in_writable_dir_is_replaced(mirror, tmp_path, corruption):
    original = (SHARED_MNIST / SMALL.name).read_bytes()
    path = tmp_path / SMALL.name
    path.write_bytes(b"<html>not a gzip</html>" if corruption == "garbage" else original[:1000])
    result = ensure_file(_spec(SMALL, mirror.url("good")), tmp_path, "COURSE_TEST_DIR", timeout=TIMEOUT)
    assert result == path and path.read_bytes() == original
    assert mirror.requests == [f"/good/{SMALL.name}"]
    _no_part_files(tmp_path)


def test_corrupt_file_in_read_only_dir_is_a_clear_error(mirror, tmp_path, monkeypatch):
    directory = tmp_path / "readonly"
    directory.mkdir()
    path = directory / SMALL.name
    path.write_bytes(b"corrupt")
    directory.chmod(0o555)
    try:
        if os.access(directory, os.W_OK):
            # Running as root: permission bits do not stop root, so report the directory as
            # unwritable the way os.access does for everyone else (or on a read-only mount).
            real_access = os.access
            monkeypatch.setattr(download.os, "access", lambda p, mode, *a, **k: False
                                if Path(p) == directory and mode & os.W_OK else real_access(p, mode, *a, **k))
        with pytest.raises(DataNotAvailableError) as info:
            ensure_file(_spec(SMALL, mirror.url("good")), directory, "COURSE_TEST_DIR", timeout=TIMEOUT)
    finally:
        directory.chmod(0o755)
    message = str(info.value)
    assert "SHA-256" in message and str(path) in message
    assert SMALL.sha256 in message and _sha256(b"corrupt") in message
    assert JAPANESE.search(message)
    assert path.read_bytes() == b"corrupt"  # left alone
    assert mirror.requests == []  # and no download attempted


def test_offline_with_nothing_there(monkeypatch, tmp_path, closed_url):
    target_dir = tmp_path / "empty"
    target_dir.mkdir()
    monkeypatch.setenv("COURSE_MNIST_DIR", str(target_dir))
    monkeypatch.setattr(datasets, "MNIST_FILES",
                        {k: _spec(s, closed_url, closed_url + "2") for k, s in MNIST_FILES.items()})
    with pytest.raises(DataNotAvailableError) as info:
        load_mnist()
    message = str(info.value)
    assert JAPANESE.search(message) and "見つからず" in message
    assert "could not be downloaded" in message
    # both languages say where to put the files and which variable to set
    lines = message.splitlines()
    japanese = [line for line in lines if JAPANESE.search(line)]
    english = [line for line in lines if not JAPANESE.search(line) and re.search(r"[A-Za-z]{4} [a-z]{2,} ", line)]
    assert any(str(target_dir) in line and "COURSE_MNIST_DIR" in line for line in japanese), japanese
    assert any(str(target_dir) in line and "COURSE_MNIST_DIR" in line and "environment variable" in line
               for line in english), english
    assert "train-images-idx3-ubyte.gz" in message
    assert f"{closed_url}/train-images-idx3-ubyte.gz" in message
    assert list(target_dir.iterdir()) == []


def test_offline_error_names_the_cache_dir_without_env_var(monkeypatch, tmp_path, closed_url):
    monkeypatch.delenv("COURSE_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(datasets, "MNIST_FILES", {k: _spec(s, closed_url) for k, s in MNIST_FILES.items()})
    with pytest.raises(DataNotAvailableError) as info:
        load_mnist()
    assert str(tmp_path / "xdg" / "genba-dl-course" / "mnist") in str(info.value)
    assert "COURSE_MNIST_DIR" in str(info.value)


def test_no_mirror_configured(tmp_path):
    with pytest.raises(DataNotAvailableError, match="no mirror configured"):
        ensure_file(_spec(SMALL), tmp_path, "COURSE_TEST_DIR")
