"""Capture errors: KeyuanError subclasses, mapped to responses by the one API handler."""

from __future__ import annotations

from keyuan.domain.errors import KeyuanError


class UnknownCamera(KeyuanError):
    code, status, default_message = "unknown_camera", 404, "No such camera."


class CameraTokenInvalid(KeyuanError):
    code, status = "camera_token_invalid", 401
    default_message = "Missing or wrong camera token (Authorization: Bearer <token>)."


class CameraDisabled(KeyuanError):
    code, status, default_message = "camera_disabled", 409, "This camera is switched off."


class SignageNotConfirmed(KeyuanError):
    code, status = "signage_not_confirmed", 409
    default_message = ("Ambient recognition needs the office's notice poster printed and put up "
                       "first (GET /api/offices/{id}/poster, then `keyuan capture signage`).")


class CameraLaneRequired(KeyuanError):
    code, status = "camera_lane_required", 422
    default_message = ("A camera covers one marked lane that visitors choose: give where the lane "
                       "is (lane) and the other way in that no camera watches (alternative).")


class CameraLaneMissing(KeyuanError):
    code, status = "camera_lane_missing", 409
    default_message = ("This camera has no lane and alternative route on record: set them "
                       "(`keyuan capture camera lane`, PUT /api/cameras/{id}/lane) before it runs.")


class CameraLaneNotConfirmed(KeyuanError):
    code, status = "camera_lane_not_confirmed", 409
    default_message = ("The office has not confirmed this camera's marked lane and its unwatched "
                       "alternative route (`keyuan capture camera confirm-lane`, "
                       "POST /api/cameras/{id}/lane/confirm).")


class CaptureTimeInvalid(KeyuanError):
    code, status, default_message = "capture_time_invalid", 422, "The capture time is not usable."


class CaptureFormatInvalid(KeyuanError):
    code, status = "capture_format_invalid", 415
    default_message = ("Send a JPEG (Content-Type: image/jpeg) or a multipart event with one "
                       "JSON or XML part and one image part.")


class CapturePayloadInvalid(KeyuanError):
    code, status = "capture_payload_invalid", 422
    default_message = ("The camera's event does not have the shape its profile expects "
                       "(`keyuan capture camera profile`; README, Cameras).")


class CameraProfileInvalid(KeyuanError):
    code, status = "camera_profile_invalid", 422
    default_message = ("Camera profiles: standard, generic-json, hikvision-isapi, dahua; the "
                       "picture host is the camera's address (host or host:port).")


class CameraPictureRefused(KeyuanError):
    code, status = "camera_picture_refused", 422
    default_message = ("The event's picture URL is not on this camera's own configured host "
                       "(or is not http/https); keyuan fetches pictures only from the camera.")


class CameraPictureUnreachable(KeyuanError):
    code, status = "camera_picture_unreachable", 502
    default_message = "The camera's picture URL could not be fetched."


class CameraPictureTimeout(KeyuanError):
    code, status = "camera_picture_timeout", 504
    default_message = "The camera did not deliver the picture in time."


class CaptureBusy(KeyuanError):
    code, status = "capture_busy", 503
    default_message = "The capture pipeline is full; the camera should retry shortly."


class CaptureSourceError(KeyuanError):
    code, status = "capture_source_error", 502
    default_message = "The video source failed."


class CaptureSourceNotLive(KeyuanError):
    code, status = "capture_source_not_live", 422
    default_message = ("Pulls take live streams only: rtsp:// or rtsps:// (or rtmp, udp, tcp), "
                       "an http(s) MJPEG stream, or a capture device index. Recorded footage — "
                       "a file, file://, a video file behind a URL — never becomes visits (C13); "
                       "video files are for `keyuan bench` and `keyuan eval` only.")


class CaptureWorkerLost(KeyuanError):
    code, status = "capture_worker_lost", 503
    default_message = ("A capture worker stopped while handling this frame; it has been "
                       "replaced. The camera should retry.")


class CapturePullStopped(KeyuanError):
    code, status = "capture_pull_stopped", 409
    default_message = "The pull stopped: the camera may no longer feed the pipeline."


class PullAlreadyRunning(KeyuanError):
    code, status = "pull_already_running", 409
    default_message = "This camera is already being pulled; stop that pull first."


class PullNotFound(KeyuanError):
    code, status, default_message = "pull_not_found", 404, "No pull was started for this camera."
