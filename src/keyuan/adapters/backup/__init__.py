"""Backups of a whole office (store, vault, keys), encrypted with a passphrase; restores."""
