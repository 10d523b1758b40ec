"""评测: measured accuracy and calibrated thresholds on PUBLIC labelled face photos.

`keyuan eval verify | identify | calibrate` (see `cli.py`). Everything here runs on public,
labelled test photographs only (the project's public face set, LFW and the like). The embedding
cache (`cache.py`) holds 128-d templates of those public test photos, keyed by file SHA-256;
it must never be pointed at visitor data, and no command here reads the vault or the store.
No image, crop or thumbnail is ever written: photos are decoded in memory.

Modules: `metrics` (pure numpy: ROC, EER, TAR@FAR, folds, FNIR/FPIR), `pairs` (LFW pairs.txt and
CSV parsing), `faces` (one photo -> template, tight-crop padding), `cache` and `runner` (SHA-256
cache, two worker processes, resumable), `verify`, `identify`, `calibrate`, `svg` (plots). The
threshold rule the live 1:N search applies is `services.faces.calibration`.
"""
