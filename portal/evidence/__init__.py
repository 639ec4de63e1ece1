"""Evidence files: signature-based validation, metadata stripping and storage (no Flask)."""
