"""Previews without credentials (pull requests from forks): the offline render against a registry snapshot."""
