"""Download a dataset file atomically, with resume, retries, progress and a sha256 or md5 check.

Snakemake rules call :func:`fetch_url` with the ``url:`` and ``sha256:`` (or ``md5:``, as ENCODE and 4DN
publish) given in config.yaml. Bytes land in ``<dest>.part`` first and are renamed onto ``dest`` only after
the checksum matches, so ``dest`` is either absent or complete, and an interrupted run resumes from the
``.part`` file instead of starting over. Redirects are followed to http(s) only. Standard library only:
pooch (the maintained alternative) restarts an interrupted download from zero, which for the tens of GB
of a Hi-C pairs file costs more than this module (see docs/raw-data.md).
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
_DIGEST_LENGTH = {"sha256": 64, "md5": 32}
PROGRESS_STEP = 0.1  # log a progress line every 10 % of a file of known size
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-\d+/(?:\d+|\*)")
_RETRY_STATUS = {408, 429}  # plus every 5xx


class _ShortBody(ConnectionError):
    """The server closed the connection before sending Content-Length bytes."""


def _is_http(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to http(s): urllib's default also follows ftp://, which a server must not pick."""

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("Location") or headers.get("URI") or ""
        target = urllib.parse.urljoin(req.full_url, location)
        if location and not _is_http(target):
            fp.close()
            raise InputError(req.full_url, f"the server redirects (HTTP {code}) to {target!r}, which is not "
                             "http(s); only http(s) redirects are followed",
                             "give the final http(s) url in config.yaml, or download the file yourself and "
                             "give its path")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


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
        response = _OPENER.open(request, timeout=timeout)
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
        total = offset + int(length) if length is not None else None
        received, next_report = 0, PROGRESS_STEP
        try:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                received += len(chunk)
                if total and (offset + received) / total >= next_report:
                    log.info("%s: %d of %d bytes (%.0f %%)", part.name, offset + received, total,
                             100 * (offset + received) / total)
                    next_report += PROGRESS_STEP
        finally:
            out.flush()
            os.fsync(out.fileno())
    if length is not None and received < int(length):
        raise _ShortBody(f"connection closed after {received} of {length} bytes")
    return offset + received


def _digest_of(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _retryable(err: Exception) -> bool:
    if isinstance(err, urllib.error.HTTPError):
        return err.code in _RETRY_STATUS or err.code >= 500
    return isinstance(err, (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException))


def parse_checksum(url: str, checksum: str) -> tuple[str, str]:
    """``(algorithm, hex digest)`` of ``sha256:HEX``, ``md5:HEX`` or a bare 64-digit sha256, in lower case.

    InputError, before any request, when malformed.
    """
    text = checksum.strip().lower() if isinstance(checksum, str) else ""
    algorithm, _, digest = text.rpartition(":")
    algorithm = algorithm or "sha256"
    size = _DIGEST_LENGTH.get(algorithm)
    if size is None or not re.fullmatch(f"[0-9a-f]{{{size}}}", digest):
        raise InputError(url, f"checksum {checksum!r} is not a sha256 (64 hexadecimal characters) or "
                         "md5:HEX (32)", "set sha256: (or md5:) in config.yaml to the file's full published checksum")
    return algorithm, digest


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


def _verify_and_move(url: str, part: Path, dest: Path, expected: tuple[str, str]) -> None:
    """Move ``part`` onto ``dest`` durably if its (algorithm, digest) is ``expected``; else delete it and raise."""
    algorithm, digest = expected
    actual = _digest_of(part, algorithm)
    if actual != digest:
        part.unlink()
        raise InputError(url, f"{algorithm} mismatch: expected {digest}, got {actual}",
                         f"check the {algorithm} in config.yaml or the url")
    os.replace(part, dest)
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def fetch_url(
    url: str,
    dest: str | Path,
    checksum: str,
    retries: int = 4,
    timeout: float = 60.0,
    backoff: float = 1.0,
    log: logging.Logger | None = None,
) -> Path:
    """Download ``url`` to ``dest`` and check it against ``checksum`` (see :func:`parse_checksum`); return ``dest``.

    The file is streamed into ``<dest>.part`` and moved onto ``dest`` atomically once
    the checksum matches. Network errors are retried (``retries`` attempts in total,
    sleeping ``backoff * 2**attempt`` seconds in between), each retry resuming from the
    ``.part`` file with an HTTP Range request. ``url`` may also be a ``file://`` URL or a
    local path. Raises :class:`InputError` for a malformed checksum, a checksum mismatch
    (the ``.part`` file is deleted), an HTTP client error, or exhausted retries.
    """
    log = log or _LOG
    expected = parse_checksum(url, checksum)
    if "://" not in url:  # a plain local path
        url = Path(url).resolve().as_uri()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempts = max(1, retries) if urllib.parse.urlsplit(url).scheme != "file" else 1

    log.info("downloading %s -> %s", url, dest)
    size = _download_with_retries(url, part, attempts, timeout, backoff, log)
    _verify_and_move(url, part, dest, expected)
    log.info("downloaded %s: %d bytes, %s %s", dest, size, *expected)
    return dest
