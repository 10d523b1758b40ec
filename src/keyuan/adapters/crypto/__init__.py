"""Secret key files (0600 or from the environment) for the vault key and the receipt signing key."""
