"""Wire shapes, one module per area (and `common`): separate request and public response models;
never an ORM object on the wire."""
