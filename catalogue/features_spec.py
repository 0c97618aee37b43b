"""`features:` of a catalogue entry: the Feast feature service a model reads at inference time.

    features:
      service: churn_features_v1     # a FeatureService of the stack's Feast project
      entityKey: customer_id         # the join key requests carry

The stack must run the feature store (featureStore.enabled, settings/feature_store.py); the model's
server then gets FEAST_FEATURE_SERVER_URL, FEAST_FEATURE_SERVICE and FEAST_ENTITY_KEY, and only the
namespaces of models that declare it may reach the feature server.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from core.spec import Spec, pattern_in_words

# Feast object names are free text upstream; the platform keeps them to what a URL path, a label value
# and an environment variable carry without quoting.
_FEAST_NAME = r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$"
FeastName = Annotated[
    str,
    StringConstraints(pattern=_FEAST_NAME),
    pattern_in_words(_FEAST_NAME, "letters, digits, '_' and '-', starting with a letter or '_' (e.g. churn_features)"),
]


class Features(Spec):
    service: FeastName = Field(description="The Feast FeatureService the model reads (get-online-features).")
    entity_key: FeastName = Field(description="The entity join key the model's requests carry, e.g. customer_id.")
