"""The model catalogue: `models/<name>.yaml`, one file per model; data, not code."""
