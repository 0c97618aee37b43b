"""Pure builders of the feature store's Kubernetes objects (plan/feature_store.py decides what they say)."""
