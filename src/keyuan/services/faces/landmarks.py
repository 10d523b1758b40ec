"""The landmarker port: five face landmarks (eyes, nose tip, mouth corners) per frame, whichever
recognition engine is active. Liveness reads head pose and landmark geometry from them."""

from __future__ import annotations

from typing import Protocol

from keyuan.services.faces.engine import FaceBox, Image


class Landmarker(Protocol):
    """Finds faces with their five landmarks.

    - `faces` MUST return every face found in the RGB frame, best first, each `FaceBox` with
      exactly five `landmarks` in frame pixels, in YuNet's order (the eye on the image's left,
      the other eye, the nose tip, the mouth corner on the image's left, the other);
      an empty list when there is none.
    - It MUST NOT keep, log or write the frame or the landmarks.
    - It MUST be safe to call from several threads at once.
    """

    def faces(self, image: Image) -> list[FaceBox]: ...
