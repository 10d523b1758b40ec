"""Test images made in memory from scikit-image's astronaut (always available) — never on disk."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageEnhance


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def encode(image: np.ndarray | Image.Image, fmt: str = "JPEG", quality: int = 92) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def frames(image: np.ndarray, n: int = 3) -> list[bytes]:
    """n kiosk-like frames: small shifts and brightness changes of one picture."""
    picture = Image.fromarray(image)
    w, h = picture.size
    out = []
    for i in range(n):
        dx, dy = (i * 7) % 15, (i * 5) % 11
        shifted = picture.crop((dx, dy, w - 15 + dx, h - 11 + dy))
        out.append(encode(ImageEnhance.Brightness(shifted).enhance(0.95 + 0.05 * i)))
    return out


def side_by_side(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image, image[:, ::-1]], axis=1)


def tiny(image: np.ndarray, side: int = 96) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((side, side)))


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
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
