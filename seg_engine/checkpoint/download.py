"""Weights from the network: one cache, files that appear whole, hash prefixes checked, one download per file.

A URL is cached at ``$SEG_ENGINE_CACHE/weights/<host>/<path>`` (default ``~/.cache/seg_engine``) and never
fetched again. ``SEG_ENGINE_OFFLINE=1`` forbids downloads; ``SEG_ENGINE_WEIGHTS_MIRROR=URL`` replaces the
scheme and host of every download (the cache stays keyed by the original URL). Processes that ask for the
same file at once (the ranks of a job, two runs on one machine) take a file lock: one downloads, the
others wait and then read the file it wrote.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from typing import BinaryIO, Callable, Iterator, List
from urllib.parse import urlsplit, urlunsplit

from .atomic import atomic_write
from .errors import WeightsDownloadError

try:
    import fcntl
except ImportError:  # Windows: no lock; the atomic rename still keeps a partial file from being used
    fcntl = None

logger = logging.getLogger(__name__)

OFFLINE_ENV = "SEG_ENGINE_OFFLINE"
MIRROR_ENV = "SEG_ENGINE_WEIGHTS_MIRROR"
# torchvision's and OpenMMLab's convention: ``name-<first hex digits of the sha256>.pth``.
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._=+-]")
_CHUNK = 1 << 20
_PROGRESS_SECONDS = 10.0
_TIMEOUT_SECONDS = 60.0


def weights_cache_dir() -> str:
    """``$SEG_ENGINE_CACHE/weights``, by default ``~/.cache/seg_engine/weights``."""
    cache = os.environ.get("SEG_ENGINE_CACHE") or os.path.join("~", ".cache", "seg_engine")
    return os.path.join(os.path.expanduser(cache), "weights")


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def cache_path(url: str) -> str:
    """Where ``url`` is cached: ``<cache>/<host>/<path>`` (a query becomes part of the file name)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s not in ("", ".", "..")] or ["index"]
    if parts.query:
        segments[-1] += "_" + parts.query
    return os.path.join(weights_cache_dir(), *(_UNSAFE_CHARS.sub("_", s) for s in [parts.netloc] + segments))


def hash_prefix_in_name(url: str) -> str:
    """The sha256 prefix a file name carries (``resnet50-0676ba61.pth`` -> ``0676ba61``), or ""."""
    match = _HASH_IN_NAME.search(urlsplit(url).path)
    return match.group(1) if match else ""


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def mirrored(url: str) -> str:
    """``url`` with the scheme and host of ``$SEG_ENGINE_WEIGHTS_MIRROR`` (and its path as a prefix), if set."""
    mirror = os.environ.get(MIRROR_ENV, "").strip().rstrip("/")
    if not mirror:
        return url
    m = urlsplit(mirror)
    if m.scheme not in ("http", "https") or not m.netloc:
        raise WeightsDownloadError(f"{MIRROR_ENV}={mirror!r} is not an http(s)://host[/path] URL")
    parts = urlsplit(url)
    return urlunsplit((m.scheme, m.netloc, m.path + parts.path, parts.query, ""))


@contextlib.contextmanager
def _exclusive(path: str, what: str) -> Iterator[None]:
    """Hold ``<path>.lock`` (flock: released when the process dies; on NFS a server-side lock)."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        lock = open(path + ".lock", "a")
    except OSError as e:
        raise WeightsDownloadError(
            f"cannot write the weights cache {directory} ({e.strerror}); set SEG_ENGINE_CACHE to a writable folder"
        ) from None
    with lock:
        if fcntl is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info(f"Waiting for another process to download {what}")
                fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)


def cached_file(path: str, what: str, write: Callable[[BinaryIO], object]) -> str:
    """``path`` if it exists; else written once by ``write(file)`` through a temporary file (a failed
    write leaves nothing). ``what`` names the source in messages (a URL or a name)."""
    if os.path.isfile(path):
        return path
    with _exclusive(path, what):
        if os.path.isfile(path):  # written by the process we waited for
            return path
        if offline():
            raise WeightsDownloadError(f"{OFFLINE_ENV} is set and {what} is not in the cache; put the file at {path}")
        atomic_write(path, write)
    return path


def download(url: str, sha256: str = "") -> str:
    """The cached file of ``url``, downloaded first if missing. Its sha256 must start with the hex
    digits its name carries and with ``sha256`` (a prefix or the whole digest), if given."""
    path = cache_path(url)
    expected = [p.lower() for p in (hash_prefix_in_name(url), sha256) if p]
    return cached_file(path, url, lambda f: _fetch(url, f, path, expected))


def _fetch(url: str, out: BinaryIO, path: str, expected: List[str]) -> None:
    """Stream ``url`` (through the mirror) into ``out``, logging progress; raise on anything but a whole,
    matching file."""
    source = mirrored(url)
    via = f" (from {source})" if source != url else ""
    request = urllib.request.Request(source, headers={"User-Agent": "seg_engine"})
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as e:
        raise WeightsDownloadError(f"cannot download {url}{via}: HTTP {e.code} {e.reason}; the file is expected at {path}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise WeightsDownloadError(f"cannot reach {source} ({reason}); without network put the file at {path}") from None
    with response:
        if response.headers.get_content_type() == "text/html":
            raise WeightsDownloadError(
                f"{url}{via} answered with an HTML page, not a file (a sign-in or confirmation page?); "
                f"download it in a browser and put it at {path}"
            )
        actual = _copy_with_progress(response, out, url, via, path)
    for prefix in expected:
        if not actual.startswith(prefix):
            raise WeightsDownloadError(
                f"sha256 mismatch for {url}{via}: expected {prefix}, got {actual[:len(prefix)]}; the downloaded file was deleted"
            )


def _copy_with_progress(response, out: BinaryIO, url: str, via: str, path: str) -> str:
    """Copy the body to ``out``; its sha256 hex digest. A body shorter than its Content-Length raises."""
    total = int(response.headers.get("Content-Length") or 0)
    digest, received = hashlib.sha256(), 0
    size = f"{total / 1e6:.1f} MB" if total else "size unknown"
    logger.info(f"Downloading {url}{via} ({size}) to {path}")
    start = last = time.monotonic()
    while True:
        try:
            chunk = response.read(_CHUNK)
        except (http.client.HTTPException, OSError) as e:
            raise _stopped(url, via, received, total, f" ({type(e).__name__})") from None
        if not chunk:
            break
        out.write(chunk)
        digest.update(chunk)
        received += len(chunk)
        now = time.monotonic()
        if now - last >= _PROGRESS_SECONDS:
            last = now
            share = f" ({100 * received / total:.0f}%)" if total else ""
            logger.info(f"  {url}: {received / 1e6:.1f} MB{share}, {received / 1e6 / (now - start):.1f} MB/s")
    if total and received != total:
        raise _stopped(url, via, received, total, "")
    logger.info(f"Downloaded {url}: {received / 1e6:.1f} MB in {time.monotonic() - start:.1f} s")
    return digest.hexdigest()


def _stopped(url: str, via: str, received: int, total: int, reason: str) -> WeightsDownloadError:
    of_total = f" of {total}" if total else ""
    return WeightsDownloadError(
        f"download of {url}{via} stopped after {received}{of_total} bytes{reason}; nothing was kept, run again to retry"
    )
