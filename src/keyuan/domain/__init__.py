"""Pure rules: no FastAPI, SQLAlchemy, dlib or clock imports. Time is passed in."""
