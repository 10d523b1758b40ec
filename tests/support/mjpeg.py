"""A live MJPEG-over-HTTP stream on loopback, as IP cameras serve one (`multipart/x-mixed-replace`,
one JPEG per part, no length): the live source pulls are tested with (C13: pulls take live
streams only). Frames are sent at `fps` as the client reads them, timed by nothing but the
moment they are sent; `repeat` rounds of the frames, then the connection closes and the stream
is gone (later connections answer 404), which a pull sees as a stream that did not come back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import numpy as np
from PIL import Image

BOUNDARY = "keyuanframe"
PATH = "/stream.mjpg"


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    out = BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()


class MjpegStream:
    def __init__(self, frames: Sequence[bytes], fps: float, repeat: int | None = None) -> None:
        self.frames = list(frames)
        self.fps = fps
        self.repeat = repeat
        self.sent = 0
        self.connections = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        stream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != PATH or stream.done.is_set():
                    self.send_error(404)
                    return
                stream.connections += 1
                self.send_response(200)
                self.send_header("Content-Type",
                                 f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    stream._serve(self.wfile)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{PATH}"

    def _serve(self, out: object) -> None:
        write = out.write  # type: ignore[attr-defined]
        interval = 1.0 / self.fps
        rounds = 0
        next_at = time.monotonic()
        while not self._stop.is_set() and (self.repeat is None or rounds < self.repeat):
            for frame in self.frames:
                if self._stop.is_set():
                    return
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                      f"Content-Length: {len(frame)}\r\n\r\n".encode() + frame + b"\r\n")
                out.flush()  # type: ignore[attr-defined]
                self.sent += 1
            rounds += 1
        self.done.set()

    def stop(self) -> None:
        self._stop.set()
        self.done.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def mjpeg_stream(frames: Sequence[bytes], fps: float = 30.0,
                 repeat: int | None = None) -> Iterator[MjpegStream]:
    stream = MjpegStream(frames, fps, repeat)
    thread = threading.Thread(target=stream._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stream
    finally:
        stream.stop()
        thread.join(5)


@contextmanager
def file_server(body: bytes, content_type: str = "video/mp4") -> Iterator[str]:
    """Recorded footage behind a URL that does not look like a file (`/live`), with byte ranges
    as an NVR's HTTP export serves it: what a pull must refuse (C13)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            start, end = 0, len(body) - 1
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                first, _, last = ranged[6:].partition("-")
                start = int(first or 0)
                end = min(int(last), end) if last else end
            chunk = body[start:end + 1]
            self.send_response(206 if ranged else 200)
            self.send_header("Content-Type", content_type)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(chunk)))
            if ranged:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            self.end_headers()
            try:
                self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/live"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
