"""The batch runner: scores a file of records with a downloaded MLflow model, in chunks.

`python -m mlops_batch --model-dir DIR --input URI --output URI [--chunk-rows N]` reads the input one
record at a time (CSV with a header, or JSON lines), checks each record against the model's input
signature, scores the good ones in chunks of N with the model's own `predict`, and writes under the
output: `results.csv` (input record number and prediction), `rejects.csv` (record number, reason, the
raw record) and `summary.json` (rows, scored, failures, duration). Memory is bounded by the chunk, never
by the input. Runs in the serving image (serving_runtime/Dockerfile), beside the online runtime.
"""
