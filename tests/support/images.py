"""Test images made in memory from scikit-image's astronaut (always available) — never on disk."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from keyuan.adapters.biometrics.fake import posed_face, solid_face


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def encode(image: np.ndarray | Image.Image, fmt: str = "JPEG", quality: int = 92) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def shifted(image: np.ndarray, dx: int, dy: int, gain: float = 1.0) -> np.ndarray:
    """Another kiosk frame: the person moved a little, the light changed a little (padded with
    black, not wrapped, so no piece of the picture reappears elsewhere)."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return np.clip(out.astype(np.float32) * gain, 0, 255).astype(np.uint8)


KIOSK_MOVES = [(8, 0, 0.9), (0, -8, 1.1), (-8, 8, 1.0), (4, 4, 1.05)]


def frames(image: np.ndarray, n: int = 3) -> list[bytes]:
    """n kiosk-like JPEG frames of one picture."""
    return [encode(shifted(image, dx, dy, gain)) for dx, dy, gain in KIOSK_MOVES[:n]]


def side_by_side(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image, image[:, ::-1]], axis=1)


def scaled(image: np.ndarray, factor: float) -> np.ndarray:
    """The astronaut at 0.8x gives a ~72 px face box: found by HOG, below the 80 px gate."""
    h, w = image.shape[:2]
    return np.asarray(Image.fromarray(image).resize((round(w * factor), round(h * factor))))


def no_face(shape: tuple[int, int] = (480, 640)) -> np.ndarray:
    """A smooth gradient: nothing for a face detector to find."""
    h, w = shape
    ramp = np.linspace(40, 200, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    return np.stack([ramp, ramp * 0.9, ramp * 0.8], axis=-1).astype(np.uint8)


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims a huge image: must be refused before decoding."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def fake_face(rgb: tuple[int, int, int], seed: int | None = None) -> np.ndarray:
    """The fake engine's "face" of colour `rgb` (160×160): solid, or — with a `seed` — one
    frame of a live camera's sequence (its own faint texture and landmark jitter: distinct
    seeds look live to the camera lane's liveness check, one seed again is a still photo)."""
    if seed is None:
        return solid_face(rgb, (160, 160))
    # posed_face's faint texture does not survive JPEG: a coarser one (16 px blocks, ±5 grey
    # levels) on top, so that a JPEG of another seed is another frame, not the same still
    blocks = np.random.default_rng(1000 + seed).integers(-5, 6, (10, 10, 1), dtype=np.int16)
    texture = blocks.repeat(16, axis=0).repeat(16, axis=1)
    return np.clip(posed_face(rgb, seed=seed).astype(np.int16) + texture, 0, 255).astype(np.uint8)


def face_jpeg(rgb: tuple[int, int, int], seed: int | None = None) -> bytes:
    """A JPEG of the fake engine's "face" of colour `rgb`, as a camera sends."""
    return encode(fake_face(rgb, seed), "JPEG", quality=95)


def face_png(rgb: tuple[int, int, int], seed: int | None = None) -> bytes:
    """The same face as a PNG."""
    return encode(fake_face(rgb, seed), "PNG")
