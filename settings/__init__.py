"""Typed, validated inputs of the program: stack settings (from Pulumi config) and shared spec plumbing.

Only `settings.pulumi_config` reads `pulumi.Config`; everything else receives frozen objects.
"""
