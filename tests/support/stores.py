"""Stores already at the head migration, copied from one template migrated once per test process
(each pytest-xdist worker is its own process, with its own templates): a test that builds an
app on a fresh store skips running every Alembic migration again (~0.3 s on SQLite, ~0.5 s on
PostgreSQL with the database's creation and drop). `bootstrap.build` still runs `upgrade`,
which finds the store at head. Tests of the migrations themselves take an empty store
(`support.postgres.fresh_database`, or a SQLite file nobody seeded)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from keyuan.adapters.store import migrate
from keyuan.adapters.store.db import make_engine

MAIN_FILE = "keyuan.db"
VAULT_FILE = "vault.db"

_template_dir: Path | None = None


def _sqlite_template() -> Path:
    """A directory holding a migrated main store and vault, made on first use."""
    global _template_dir
    if _template_dir is None:
        made = Path(tempfile.mkdtemp(prefix="keyuan-store-template-"))
        engine = make_engine(f"sqlite:///{made / MAIN_FILE}", vault_path=made / VAULT_FILE)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()  # the last connection closed: the WAL is checkpointed and removed
        leftovers = sorted(p.name for p in made.iterdir() if p.name not in (MAIN_FILE, VAULT_FILE))
        assert leftovers == [], f"template store not closed cleanly: {leftovers}"
        _template_dir = made
    return _template_dir


@atexit.register
def remove_template() -> None:
    """Remove this process's template (at the end of the test session, or at exit)."""
    global _template_dir
    if _template_dir is not None:
        shutil.rmtree(_template_dir, ignore_errors=True)
        _template_dir = None


def seed_sqlite(data_dir: Path) -> None:
    """Put a migrated (empty) main store and vault at their default places in `data_dir`,
    unless either file is there already."""
    main, vault = data_dir / MAIN_FILE, data_dir / VAULT_FILE
    if main.exists() or vault.exists():
        return
    template = _sqlite_template()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(template / MAIN_FILE, main)
    shutil.copyfile(template / VAULT_FILE, vault)
