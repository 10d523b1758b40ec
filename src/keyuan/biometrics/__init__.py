"""Face engine adapter, quality gates, template codec and gallery. No image ever touches disk."""
