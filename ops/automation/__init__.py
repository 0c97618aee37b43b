"""Driving the real Pulumi CLI through the Automation API: preview, up, refresh (see driver.py)."""
