"""The licences area has no API of its own (its read model serves the cascades)."""
