"""Operator command line: `python -m ops <command>` (render, demo, ...)."""
