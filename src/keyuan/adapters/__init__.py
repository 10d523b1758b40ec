"""Adapters: the real implementations behind the service layer's ports — the store
(SQLAlchemy tables, repositories, unit of work, migrations), the vault, crypto key files, the SMS
sender, the face engines and the camera sources and workers. Services never import this package;
`bootstrap` wires it in."""
