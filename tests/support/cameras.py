"""A camera as tests set one up: registered covering a marked lane with an unwatched alternative
route, switched on, and the lane confirmed by the office (C11), so its gate opens once the
notice names it and the impact assessment covers it."""

from __future__ import annotations

from keyuan.domain.capture.cameras import Camera
from keyuan.services.capture import service
from keyuan.services.capture.ports import FramePipeline

LANE = "东门左侧地面黄线标示的刷脸通道"
ALTERNATIVE = "东门右侧的普通入口（不设摄像头）"


def lane_camera(rt: FramePipeline, office_id: str, name: str, *, actor: str = "test",
                lane: str = LANE, alternative: str = ALTERNATIVE,
                confirm: bool = True, profile: str = "standard") -> tuple[Camera, str]:
    """A registered camera (of push `profile`) and its token, switched on (cameras are
    registered off); its lane confirmed by `actor` unless `confirm` is False."""
    camera, token = service.register_camera(rt, office_id, name, lane=lane,
                                            alternative=alternative, actor=actor,
                                            profile=profile)
    camera = service.set_camera_enabled(rt, camera.id, True, actor=actor)
    if confirm:
        camera = service.confirm_lane(rt, camera.id, actor=actor)
    return camera, token
