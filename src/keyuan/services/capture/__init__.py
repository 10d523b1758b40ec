"""Capture use cases: cameras, signage, and a frame turned into (at most) a visit."""
