"""fetch_url against a real HTTP server on loopback: resume, retries, checksums."""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from regformer.errors import InputError
from regformer.io.download import fetch_url

_rng = random.Random(1234)
PAYLOAD = _rng.randbytes(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()
FAST = {"backoff": 0.01, "timeout": 5.0}


class _Handler(BaseHTTPRequestHandler):
    """Serves PAYLOAD under a few paths whose names say how the server misbehaves."""

    requests: list[tuple[str, str | None]]  # (path, Range header), set per server
    counts: dict[str, int]

    def log_message(self, *args):  # keep pytest output quiet
        pass

    def do_GET(self):
        rng = self.headers.get("Range")
        self.requests.append((self.path, rng))
        n = self.counts[self.path] = self.counts.get(self.path, 0) + 1
        if self.path == "/data.bin":
            self._send(PAYLOAD, rng)
        elif self.path == "/cut.bin" and n == 1:
            self._cut()
        elif self.path == "/cut.bin":
            self._send(PAYLOAD, rng)
        elif self.path == "/always-cut.bin":
            self._cut()
        elif self.path.startswith("/redirect-to/"):  # /redirect-to/<scheme>: a 302 to that scheme
            scheme = self.path.rsplit("/", 1)[1]
            target = "/data.bin" if scheme == "same" else f"{scheme}://127.0.0.1/data.bin"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/norange.bin":
            self._send(PAYLOAD, None)  # ignores Range
        elif self.path == "/flaky503.bin" and n == 1:
            self.send_error(503)
        elif self.path == "/flaky503.bin":
            self._send(PAYLOAD, rng)
        elif self.path == "/slow.bin" and n == 1:
            time.sleep(0.5)  # longer than the client's timeout
            try:
                self._send(PAYLOAD, None)
            except OSError:
                pass
        elif self.path == "/slow.bin":
            self._send(PAYLOAD, rng)
        else:
            self.send_error(404)

    def _send(self, body: bytes, rng: str | None):
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m is None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        start = int(m.group(1))
        if start >= len(body):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def _cut(self):
        """Promise the whole body, send half, then close the connection."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"requests": [], "counts": {}})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.handler = handler
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_good_file(server, tmp_path):
    dest = tmp_path / "sub" / "data.bin"
    out = fetch_url(f"{server.base}/data.bin", dest, SHA, **FAST)
    assert out == dest
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "sub" / "data.bin.part").exists()
    assert server.handler.requests == [("/data.bin", None)]


def test_bad_checksum(server, tmp_path):
    url = f"{server.base}/data.bin"
    dest = tmp_path / "data.bin"
    wrong = "0" * 64
    with pytest.raises(InputError) as info:
        fetch_url(url, dest, wrong, **FAST)
    msg = str(info.value)
    assert url in msg and wrong in msg and SHA in msg and "config.yaml" in msg
    assert not dest.exists()
    assert not (tmp_path / "data.bin.part").exists()


def test_connection_cut_mid_file_resumes(server, tmp_path):
    dest = tmp_path / "cut.bin"
    fetch_url(f"{server.base}/cut.bin", dest, SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD
    reqs = server.handler.requests
    assert len(reqs) == 2 and reqs[0] == ("/cut.bin", None)
    start = int(re.fullmatch(r"bytes=(\d+)-", reqs[1][1]).group(1))
    assert start == len(PAYLOAD) // 2


def test_resumes_interrupted_earlier_run(server, tmp_path):
    dest = tmp_path / "data.bin"
    third = len(PAYLOAD) // 3
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:third])
    fetch_url(f"{server.base}/data.bin", dest, SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.handler.requests == [("/data.bin", f"bytes={third}-")]
    assert not (tmp_path / "data.bin.part").exists()


def test_server_without_range_support_discards_stale_part(server, tmp_path):
    dest = tmp_path / "norange.bin"
    (tmp_path / "norange.bin.part").write_bytes(b"stale bytes from elsewhere")
    fetch_url(f"{server.base}/norange.bin", dest, SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.handler.requests[0][1] is not None  # it did ask to resume


def test_416_restarts_from_zero(server, tmp_path):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD + b"extra")  # longer than the file
    fetch_url(f"{server.base}/data.bin", dest, SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert [r for _, r in server.handler.requests] == [f"bytes={len(PAYLOAD) + 5}-", None]


def test_404_is_not_retried(server, tmp_path):
    url = f"{server.base}/missing.bin"
    t0 = time.monotonic()
    with pytest.raises(InputError) as info:
        fetch_url(url, tmp_path / "x.bin", SHA, retries=4, backoff=1.0)
    assert time.monotonic() - t0 < 0.9  # no backoff sleep happened
    assert url in str(info.value) and "404" in str(info.value)
    assert server.handler.counts == {"/missing.bin": 1}
    assert not (tmp_path / "x.bin").exists()


def test_503_is_retried(server, tmp_path):
    dest = tmp_path / "f.bin"
    fetch_url(f"{server.base}/flaky503.bin", dest, SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.handler.counts["/flaky503.bin"] == 2


def test_socket_timeout_is_retried(server, tmp_path):
    dest = tmp_path / "slow.bin"
    fetch_url(f"{server.base}/slow.bin", dest, SHA, backoff=0.01, timeout=0.2)
    assert dest.read_bytes() == PAYLOAD
    assert server.handler.counts["/slow.bin"] == 2


def test_exhausted_retries_keep_part_for_resume(server, tmp_path):
    url = f"{server.base}/always-cut.bin"
    dest = tmp_path / "a.bin"
    with pytest.raises(InputError) as info:
        fetch_url(url, dest, SHA, retries=3, **FAST)
    msg = str(info.value)
    assert url in msg and "3 attempt" in msg and "resumes" in msg and ".part" in msg
    assert server.handler.counts["/always-cut.bin"] == 3
    assert not dest.exists()
    assert (tmp_path / "a.bin.part").stat().st_size > 0


def test_invalid_sha256_fails_before_any_request(server, tmp_path):
    for bad in ["abc", "g" * 64, SHA + "0", ""]:
        with pytest.raises(InputError, match="sha256"):
            fetch_url(f"{server.base}/data.bin", tmp_path / "x.bin", bad, **FAST)
    assert server.handler.requests == []


def test_local_path_and_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    a = fetch_url(str(src), tmp_path / "a.bin", SHA.upper(), **FAST)
    b = fetch_url(src.as_uri(), tmp_path / "b.bin", SHA, **FAST)
    assert a.read_bytes() == PAYLOAD and b.read_bytes() == PAYLOAD


@pytest.mark.parametrize("scheme", ["ftp", "file"])
def test_redirect_to_a_non_http_scheme_is_refused(server, tmp_path, scheme):
    url = f"{server.base}/redirect-to/{scheme}"
    with pytest.raises(InputError, match=f"redirects .*{scheme}://.*only http\\(s\\)") as info:
        fetch_url(url, tmp_path / "x.bin", SHA, retries=3, **FAST)
    assert url in str(info.value)
    assert server.handler.counts == {f"/redirect-to/{scheme}": 1}  # not retried
    assert not list(tmp_path.iterdir())  # neither the file nor a .part


def test_http_redirect_is_followed(server, tmp_path):
    dest = fetch_url(f"{server.base}/redirect-to/same", tmp_path / "x.bin", SHA, **FAST)
    assert dest.read_bytes() == PAYLOAD


def test_md5_checksum_as_4dn_and_encode_publish(server, tmp_path):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    dest = fetch_url(f"{server.base}/data.bin", tmp_path / "x.bin", f"md5:{md5}", **FAST)
    assert dest.read_bytes() == PAYLOAD
    with pytest.raises(InputError, match=f"md5 mismatch: expected {'0' * 32}, got {md5}"):
        fetch_url(f"{server.base}/data.bin", tmp_path / "y.bin", "md5:" + "0" * 32, **FAST)
    assert not (tmp_path / "y.bin").exists() and not (tmp_path / "y.bin.part").exists()
    with pytest.raises(InputError, match="md5"):
        fetch_url(f"{server.base}/data.bin", tmp_path / "z.bin", "md5:" + md5[:31], **FAST)


def test_progress_is_logged(server, tmp_path, caplog):
    caplog.set_level("INFO")
    fetch_url(f"{server.base}/data.bin", tmp_path / "x.bin", f"sha256:{SHA}", **FAST)
    assert any("(100 %)" in r.getMessage() for r in caplog.records)


def test_two_urls_with_one_basename_land_on_two_paths():
    """A FASTA url and a cooler url both ending in `data` (issue 27): each entry's file is named by its role."""
    from regformer.workflow_helpers.common import WorkflowHelpers

    ds = {"fasta": {"url": "https://a.org/x/data", "sha256": "0" * 64},
          "maps": [{"name": "m", "url": "https://b.org/y/data", "md5": "1" * 32}]}
    wf = WorkflowHelpers({"hic": {"datasets": {"d": ds}}}, ["hic"])
    assert wf.downloaded("hic", "d", ds["fasta"]) == "results/downloads/hic/d/fasta--data"
    assert wf.downloaded("hic", "d", ds["maps"][0]) == "results/downloads/hic/d/map-m--data"
    assert wf.dataset_urls("hic", "d") == {"fasta--data": ("https://a.org/x/data", "sha256:" + "0" * 64),
                                          "map-m--data": ("https://b.org/y/data", "md5:" + "1" * 32)}
