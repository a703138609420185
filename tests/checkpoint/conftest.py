"""A loopback HTTP server for the weights tests: it serves bytes the tests create and counts the requests."""
from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional

import pytest
import torch


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    send_bytes: Optional[int] = None  # stop after this many bytes of the body (a cut-off download)
    gate: Optional[threading.Event] = None  # answer only once this is set


class WeightsServer:
    def __init__(self) -> None:
        self.routes: Dict[str, Route] = {}
        self.requests: List[str] = []
        self.received = threading.Event()  # set at each request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                server.received.set()
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.gate is not None:
                    route.gate.wait(30)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body[: route.send_bytes])

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes, **kwargs) -> str:
        """Serve ``body`` at ``path``; its URL."""
        self.routes[path] = Route(body, **kwargs)
        return self.root + path

    def count(self, path: str) -> int:
        return self.requests.count(path)

    @staticmethod
    def torch_bytes(obj) -> bytes:
        """``obj`` as ``torch.save`` writes it."""
        buffer = io.BytesIO()
        torch.save(obj, buffer)
        return buffer.getvalue()

    @staticmethod
    def sha256(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()


@pytest.fixture(scope="session")
def weights_server():
    server = WeightsServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def weights_cache(tmp_path, monkeypatch):
    """An empty weights cache for one test (SEG_ENGINE_CACHE), with no offline or mirror setting."""
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SEG_ENGINE_OFFLINE", raising=False)
    monkeypatch.delenv("SEG_ENGINE_WEIGHTS_MIRROR", raising=False)
    return tmp_path / "cache" / "weights"
