"""Camera sources and the capture machinery: push bodies parsed in memory, OpenCV pulls, the
drop-oldest queue, worker processes with the gallery in shared memory, Prometheus metrics, and
the per-app runtime that implements `services.capture.ports.FramePipeline`."""
