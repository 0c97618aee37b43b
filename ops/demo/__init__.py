"""The local walkthrough: `python -m ops demo` seeds a local MLflow registry and renders a stack against it."""
