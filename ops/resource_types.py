"""Pulumi type tokens that ops reads back out of runs, previews and stack state: one definition each.

DYNAMIC_TYPE is the token the Python SDK gives every dynamic resource (the registry's ModelVersion);
KUBERNETES_PROVIDER_TYPE is the Kubernetes provider resource (where renderYamlToDirectory is set);
APPLICATION_TYPE is the Argo CD Application's token in pulumi_kubernetes (apiVersion argoproj.io/v1alpha1).
"""

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
APPLICATION_TYPE = "kubernetes:argoproj.io/v1alpha1:Application"
KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes"
