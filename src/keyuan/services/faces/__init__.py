"""The face pipeline every area shares: the engine port and its value types, decoding in memory,
quality gates, enrollment and probes, 1:1 matching, the in-memory 1:N gallery and its thresholds."""
