"""Face engines behind `services.faces.engine.FaceEngine`: dlib (the real one), a deterministic
fake for unit tests, and the vault's template byte format. No image ever touches disk."""
