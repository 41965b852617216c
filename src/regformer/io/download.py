"""Download a dataset file atomically, with resume, retries and a sha256 check.

Snakemake rules call :func:`fetch_url` with the ``url:`` and ``sha256:`` given in
config.yaml. Bytes land in ``<dest>.part`` first and are renamed onto ``dest`` only after
the checksum matches, so ``dest`` is either absent or complete, and an interrupted run
resumes from the ``.part`` file instead of starting over. Standard library only.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from regformer.errors import InputError

CHUNK = 1 << 20  # 1 MiB
_LOG = logging.getLogger(__name__)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-\d+/(?:\d+|\*)")
_RETRY_STATUS = {408, 429}  # plus every 5xx


class _ShortBody(ConnectionError):
    """The server closed the connection before sending Content-Length bytes."""


def _is_http(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")


def _open(url: str, part: Path, timeout: float, log: logging.Logger):
    """Open ``url``, asking to resume after the bytes already in ``part``.

    Returns ``(response, offset)``: the body must be appended to ``part`` at ``offset``
    (0 means truncate). A server that ignores or rejects the range restarts from zero.
    """
    offset = part.stat().st_size if part.exists() and _is_http(url) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "regformer-fetch"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
        log.info("resuming %s at byte %d", url, offset)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code != 416 or not offset:
            raise
        err.close()
        log.info("server cannot resume %s at byte %d (HTTP 416); restarting", url, offset)
        part.unlink()
        return _open(url, part, timeout, log)
    if not offset:
        return response, 0
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if response.status == 206 and match and int(match.group(1)) == offset:
        return response, offset
    if response.status == 206:  # a range, but not the one we asked for: start clean
        response.close()
        part.unlink()
        return _open(url, part, timeout, log)
    log.info("server ignored the range request for %s; restarting from zero", url)
    return response, 0


def _download(url: str, part: Path, timeout: float, log: logging.Logger) -> int:
    """One attempt: stream the (rest of the) body into ``part``; return its full size.

    Bytes received before a failure stay in ``part`` so that the next attempt resumes.
    """
    response, offset = _open(url, part, timeout, log)
    with response, open(part, "ab" if offset else "wb") as out:
        length = response.headers.get("Content-Length")
        received = 0
        try:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                received += len(chunk)
        finally:
            out.flush()
            os.fsync(out.fileno())
    if length is not None and received < int(length):
        raise _ShortBody(f"connection closed after {received} of {length} bytes")
    return offset + received


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _retryable(err: Exception) -> bool:
    if isinstance(err, urllib.error.HTTPError):
        return err.code in _RETRY_STATUS or err.code >= 500
    return isinstance(err, (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException))


def _expected_sha256(url: str, sha256: str) -> str:
    """The configured checksum in lower case; InputError, before any request, when malformed."""
    expected = sha256.strip().lower() if isinstance(sha256, str) else ""
    if not _SHA256.fullmatch(expected):
        raise InputError(url, f"sha256 {sha256!r} is not 64 hexadecimal characters",
                         "set sha256 in config.yaml to the file's full sha256 checksum")
    return expected


def _download_with_retries(url: str, part: Path, attempts: int, timeout: float, backoff: float,
                           log: logging.Logger) -> int:
    """Call :func:`_download` up to ``attempts`` times; return the size of the complete ``part``.

    Only transient errors (see :func:`_retryable`) are retried, after ``backoff * 2**attempt``
    seconds. An HTTP client error, or the last failure, becomes an :class:`InputError`.
    """
    for attempt in range(attempts):
        try:
            return _download(url, part, timeout, log)
        except Exception as err:
            if not _retryable(err):
                if isinstance(err, urllib.error.HTTPError):
                    raise InputError(url, f"server answered HTTP {err.code} {err.reason}",
                                     "check the url in config.yaml") from err
                raise
            if attempt + 1 == attempts:
                raise InputError(url, f"download failed after {attempts} attempt(s), last error: {err!r}",
                                 f"check the network and the url, then rerun; the download "
                                 f"resumes from {part}") from err
            delay = backoff * 2**attempt
            log.warning("download of %s failed (%r); retry %d/%d in %.2fs",
                        url, err, attempt + 1, attempts - 1, delay)
            time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _verify_and_move(url: str, part: Path, dest: Path, expected: str) -> None:
    """Move ``part`` onto ``dest`` durably if its sha256 is ``expected``; else delete it and raise."""
    actual = _sha256_of(part)
    if actual != expected:
        part.unlink()
        raise InputError(url, f"sha256 mismatch: expected {expected}, got {actual}",
                         "check the sha256 in config.yaml or the url")
    os.replace(part, dest)
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def fetch_url(
    url: str,
    dest: str | Path,
    sha256: str,
    retries: int = 4,
    timeout: float = 60.0,
    backoff: float = 1.0,
    log: logging.Logger | None = None,
) -> Path:
    """Download ``url`` to ``dest`` and check it against ``sha256``; return ``dest``.

    The file is streamed into ``<dest>.part`` and moved onto ``dest`` atomically once
    the checksum matches. Network errors are retried (``retries`` attempts in total,
    sleeping ``backoff * 2**attempt`` seconds in between), each retry resuming from the
    ``.part`` file with an HTTP Range request. ``url`` may also be a ``file://`` URL or a
    local path. Raises :class:`InputError` for a malformed checksum, a checksum mismatch
    (the ``.part`` file is deleted), an HTTP client error, or exhausted retries.
    """
    log = log or _LOG
    expected = _expected_sha256(url, sha256)
    if "://" not in url:  # a plain local path
        url = Path(url).resolve().as_uri()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempts = max(1, retries) if urllib.parse.urlsplit(url).scheme != "file" else 1

    log.info("downloading %s -> %s", url, dest)
    size = _download_with_retries(url, part, attempts, timeout, backoff, log)
    _verify_and_move(url, part, dest, expected)
    log.info("downloaded %s: %d bytes, sha256 %s", dest, size, expected)
    return dest
