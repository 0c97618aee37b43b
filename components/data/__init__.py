"""The platform's own data services (the Feast feature store)."""
