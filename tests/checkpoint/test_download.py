"""Downloads through the loopback server: cache, integrity, failures, offline, mirror, two processes."""
import logging
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import torch

from seg_engine.checkpoint import WeightsDownloadError, fetch_weights
from seg_engine.checkpoint.download import cache_path, download


def leftovers(directory):
    """Files in the cache other than lock files (temporary files of a failed download would show here)."""
    return sorted(
        os.path.relpath(os.path.join(root, f), directory)
        for root, _, files in os.walk(directory) for f in files if not f.endswith(".lock")
    )


def test_download_once_then_cache_hit(weights_server, weights_cache, caplog):
    body = weights_server.torch_bytes({"w": torch.arange(6.0)})
    path = f"/hit/weights-{weights_server.sha256(body)[:8]}.pth"
    url = weights_server.serve(path, body)
    with caplog.at_level(logging.INFO, logger="seg_engine.checkpoint.download"):
        local = download(url)
    host = url.split("/")[2].replace(":", "_")
    assert local == os.path.join(str(weights_cache), host, "hit", os.path.basename(path))
    assert open(local, "rb").read() == body
    assert f"Downloading {url} (0.0 MB) to {local}" in caplog.text
    assert f"Downloaded {url}" in caplog.text
    assert download(url) == local
    assert fetch_weights(url) == (local, "")
    assert weights_server.count(path) == 1
    assert leftovers(weights_cache) == [os.path.join(host, "hit", os.path.basename(path))]


def test_a_hash_prefix_that_does_not_match_deletes_the_file(weights_server, weights_cache):
    body = weights_server.torch_bytes({"w": torch.zeros(3)})
    actual = weights_server.sha256(body)[:8]
    url = weights_server.serve("/bad/weights-00000000.pth", body)
    for attempt in (1, 2):  # nothing was kept: the second call downloads again
        with pytest.raises(WeightsDownloadError) as error:
            download(url)
        assert str(error.value) == (
            f"sha256 mismatch for {url}: expected 00000000, got {actual}; the downloaded file was deleted"
        )
        assert weights_server.count("/bad/weights-00000000.pth") == attempt
    assert leftovers(weights_cache) == []


def test_a_whole_sha256_given_for_a_name_without_hash(weights_server, weights_cache):
    body = b"not checked by name"
    url = weights_server.serve("/whole/model.pth", body)
    with pytest.raises(WeightsDownloadError, match="expected 1111, got"):
        download(url, sha256="1111")
    assert open(download(url, sha256=weights_server.sha256(body)), "rb").read() == body


def test_a_name_through_the_mirror_is_checked_against_its_published_hash(weights_server, weights_cache, monkeypatch):
    """torchvision://resnet18 names resnet18-f37072fd.pth: bytes with another sha256 are refused."""
    monkeypatch.setenv("SEG_ENGINE_WEIGHTS_MIRROR", weights_server.root + "/mirror")
    body = weights_server.torch_bytes({"conv1.weight": torch.zeros(1)})
    weights_server.serve("/mirror/models/resnet18-f37072fd.pth", body)
    with pytest.raises(WeightsDownloadError) as error:
        fetch_weights("torchvision://resnet18")
    assert str(error.value) == (
        "sha256 mismatch for https://download.pytorch.org/models/resnet18-f37072fd.pth "
        f"(from {weights_server.root}/mirror/models/resnet18-f37072fd.pth): expected f37072fd, "
        f"got {weights_server.sha256(body)[:8]}; the downloaded file was deleted"
    )


def test_the_mirror_replaces_scheme_and_host_and_the_cache_keeps_the_original_url(weights_server, weights_cache, monkeypatch):
    body = b"mirrored bytes"
    name = f"backbone-{weights_server.sha256(body)[:10]}.pth"
    weights_server.serve(f"/mirror/pretrain/third_party/{name}", body)
    monkeypatch.setenv("SEG_ENGINE_WEIGHTS_MIRROR", weights_server.root + "/mirror/")
    url = f"https://weights.example.org/pretrain/third_party/{name}"
    local = download(url)
    assert local == os.path.join(str(weights_cache), "weights.example.org", "pretrain", "third_party", name)
    assert open(local, "rb").read() == body
    monkeypatch.setenv("SEG_ENGINE_WEIGHTS_MIRROR", "weights.example.org")
    assert download(url) == local  # a cache hit never looks at the mirror
    with pytest.raises(WeightsDownloadError, match="SEG_ENGINE_WEIGHTS_MIRROR='weights.example.org' is not an http"):
        download(url + ".other")


def test_a_cut_off_download_leaves_nothing(weights_server, weights_cache):
    body = bytes(range(256)) * 64
    url = weights_server.serve("/cut/weights.pth", body, send_bytes=5000)
    with pytest.raises(WeightsDownloadError) as error:
        download(url)
    assert str(error.value) == (
        f"download of {url} stopped after 5000 of {len(body)} bytes; nothing was kept, run again to retry"
    )
    assert leftovers(weights_cache) == []


@pytest.mark.parametrize("status, reason", [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_errors_name_the_url_and_the_expected_path(weights_server, weights_cache, status, reason):
    url = weights_server.serve(f"/status/{status}.pth", b"error page", status=status)
    with pytest.raises(WeightsDownloadError) as error:
        download(url)
    assert str(error.value) == f"cannot download {url}: HTTP {status} {reason}; the file is expected at {cache_path(url)}"
    assert leftovers(weights_cache) == []


def test_an_html_page_is_not_taken_for_weights(weights_server, weights_cache):
    url = weights_server.serve("/uc_id=abc", b"<html>confirm</html>", content_type="text/html; charset=utf-8")
    with pytest.raises(WeightsDownloadError, match=f"answered with an HTML page.*put it at {cache_path(url)}$"):
        download(url)


def test_offline_names_the_url_and_the_path_and_sends_nothing(weights_server, weights_cache, monkeypatch):
    url = weights_server.serve("/offline/w.pth", b"bytes")
    monkeypatch.setenv("SEG_ENGINE_OFFLINE", "1")
    with pytest.raises(WeightsDownloadError) as error:
        download(url)
    assert str(error.value) == f"SEG_ENGINE_OFFLINE is set and {url} is not in the cache; put the file at {cache_path(url)}"
    assert weights_server.count("/offline/w.pth") == 0
    monkeypatch.setenv("SEG_ENGINE_OFFLINE", "0")
    local = download(url)
    monkeypatch.setenv("SEG_ENGINE_OFFLINE", "1")
    assert download(url) == local
    assert weights_server.count("/offline/w.pth") == 1


def test_no_network_names_the_url_and_the_path(weights_cache):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/w.pth"
    with pytest.raises(WeightsDownloadError, match=rf"^cannot reach {url} \(.*\); without network put the file at {cache_path(url)}$"):
        download(url)


def test_an_unwritable_cache_is_one_line(weights_server, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(blocker))
    with pytest.raises(WeightsDownloadError, match="cannot write the weights cache .*; set SEG_ENGINE_CACHE to a writable folder"):
        download(weights_server.serve("/unwritable/w.pth", b"x"))


_CHILD = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.INFO, stream=sys.stderr)\n"
    "from seg_engine.checkpoint.download import download\n"
    "print(download(sys.argv[1]))\n"
)


def _wait_for(condition, what, timeout=120.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_two_threads_asking_for_one_file_download_it_once(weights_server, weights_cache, caplog):
    """flock locks belong to each open file, so two threads contend as two processes do (fast variant)."""
    body = b"shared by threads"
    path = f"/threads/weights-{weights_server.sha256(body)[:8]}.pth"
    gate = threading.Event()
    url = weights_server.serve(path, body, gate=gate)
    results = []
    threads = [threading.Thread(target=lambda: results.append(download(url))) for _ in range(2)]
    with caplog.at_level(logging.INFO, logger="seg_engine.checkpoint.download"):
        try:
            threads[0].start()
            _wait_for(lambda: weights_server.count(path) == 1, "the first request")
            threads[1].start()
            _wait_for(lambda: "Waiting for another process to download" in caplog.text, "the second to wait")
        finally:
            gate.set()
            for thread in (t for t in threads if t.ident):
                thread.join(60)
    assert results == [cache_path(url)] * 2
    assert weights_server.count(path) == 1


@pytest.mark.slow
def test_two_processes_asking_for_one_file_download_it_once(weights_server, weights_cache, tmp_path):
    body = weights_server.torch_bytes({"w": torch.arange(100.0)})
    path = f"/shared/weights-{weights_server.sha256(body)[:8]}.pth"
    gate = threading.Event()
    url = weights_server.serve(path, body, gate=gate)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    children = []
    try:
        for log in logs:
            children.append(subprocess.Popen([sys.executable, "-c", _CHILD, url], stdout=subprocess.PIPE,
                                             stderr=log.open("w"), text=True))
            if log == logs[0]:  # the first holds the lock inside its (held) request
                _wait_for(lambda: weights_server.count(path) == 1, "the first request")
        _wait_for(lambda: "Waiting for another process to download" in logs[1].read_text(), "the second to wait")
        gate.set()
        outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    finally:
        gate.set()
        for child in (c for c in children if c.poll() is None):
            child.kill()
    assert [child.returncode for child in children] == [0, 0], [log.read_text() for log in logs]
    assert outputs[0] == outputs[1] == cache_path(url)
    assert open(outputs[0], "rb").read() == body
    assert weights_server.count(path) == 1
