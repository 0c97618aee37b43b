"""The operator's side: `python -m ops <command>` (ops/__main__.py, wiring in ops/cli/). One package per
concern: offline/ (the program run without the engine: render, preview-offline), automation/ (the real
Pulumi CLI), promotion/ (promote, rollback, approve, fallback), publish/ (the gitops tree, pins), report/
and github/ (the pull-request comment), metrics/ (delivery metrics), demo/ (the local walkthrough); the
modules at the top are shared by several (stack files, the Kubernetes client, progress, type tokens)."""
