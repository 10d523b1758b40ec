"""Configuration: the one `Settings` (environment `KEYUAN_<FIELD>`), one module per section."""
