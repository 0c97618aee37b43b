"""Pure builders of the platform add-ons' Helm values and plain objects, one module per chart."""
