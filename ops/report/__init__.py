"""The pull-request report: one markdown comment for a set of stacks (see markdown.py)."""
