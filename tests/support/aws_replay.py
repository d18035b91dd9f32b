"""A recording proxy in front of the moto server, for the distributed benchmarks.

moto answers in the benchmark's own process, and an answer costs it tens of milliseconds of
Python: on a two-core machine its CPU, not the latency injected into every call, soon limits
a collection on many workers, which AWS (whose CPU is not ours) never would. The proxy
forwards a request it has not seen to moto and keeps the answer; an identical request later
(same credentials, region, service, operation and body) is answered from memory, for a
fraction of a millisecond. A first, unmeasured collection records the estate; the measured
ones then cost the API nothing but the injected latency. Answers are replayed as moto gave
them, so an ``sts:AssumeRole`` replayed returns the same credentials, and the requests made
with them match the recorded ones.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_DROPPED = {"content-length", "transfer-encoding", "connection", "keep-alive", "date",
            "server"}

Answer = tuple[int, list[tuple[str, str]], bytes]


class ReplayProxy:
    """On 127.0.0.1 and a free port, in front of ``upstream`` (the moto server's URL)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.answers: dict[tuple[Any, ...], Answer] = {}
        self.forwarded = 0
        self.replayed = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as botocore's connection pool expects

            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, data = proxy.answer(self.command, self.path,
                                                     dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        scope = _SCOPE.search(headers.get("Authorization", ""))
        key = (method, path, headers.get("X-Amz-Target"), scope.groups() if scope else None,
               body)
        with self._lock:
            known = self.answers.get(key)
            if known is not None:
                self.replayed += 1
                return known
        connection = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1",
                                                self.upstream.port, timeout=120)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _DROPPED}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            got: Answer = (response.status, [(k, v) for k, v in response.getheaders()
                                             if k.lower() not in _DROPPED], response.read())
        finally:
            connection.close()
        with self._lock:
            self.forwarded += 1
            if got[0] < 500:
                self.answers.setdefault(key, got)
            return self.answers.get(key, got)

    def counts(self) -> tuple[int, int]:
        """(forwarded, replayed) since the last call."""
        with self._lock:
            counts = (self.forwarded, self.replayed)
            self.forwarded = self.replayed = 0
        return counts

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
