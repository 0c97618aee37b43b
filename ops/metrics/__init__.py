"""Delivery metrics (`python -m ops metrics`): deployment frequency, lead time, change failure rate, time to
restore and model freshness, computed from what the platform already records (history.py says where from).
compute.py is pure; reader.py does the I/O; report.py prints and exposes the figures."""
