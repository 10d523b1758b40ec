"""SQLAlchemy tables mapped onto the domain from outside, the unit of work, migrations."""
