"""The biometric vault: encrypted templates keyed by pseudonym, in their own store, own key."""
