"""Camera capture (人脸抓拍机 push, RTSP/video pull): in memory only, consented gallery only.

There is deliberately no connector for security recorders (NVR/DVR, ONVIF recording search,
GB/T 28181 platforms): CCTV stays out of attribution (C13). Only cameras registered here, each
with its own token, feed the pipeline, and only while the office's gate is open."""
