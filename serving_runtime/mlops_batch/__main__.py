"""`python -m mlops_batch --model-dir DIR --input URI --output URI`: one batch scoring run.

Exit codes: 0 done (rejected records are in rejects.csv), 1 the share of rejected records is above
--max-rejected-fraction (the results are still written), 2 the run could not start or read its input.
"""

from __future__ import annotations

import argparse
import json
import sys

from mlops_batch.records import InputError
from mlops_batch.runner import REJECTS, RESULTS, SUMMARY, score
from mlops_batch.storage import Output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_batch", description=__doc__)
    parser.add_argument("--model-dir", required=True, help="the downloaded MLflow model (init container)")
    parser.add_argument("--model-uri", default="", help="models:/<name>/<version>, recorded in the summary")
    parser.add_argument("--input", required=True, help="path or gs://bucket/object (CSV with header, or JSON lines)")
    parser.add_argument("--output", required=True, help="directory or gs://bucket/prefix for this run's files")
    parser.add_argument("--format", default="auto", choices=("auto", "csv", "jsonl"))
    parser.add_argument("--chunk-rows", type=int, default=10_000, help="records scored per predict call")
    parser.add_argument("--max-rejected-fraction", type=float, default=1.0, help="above it the run fails (exit 1)")
    args = parser.parse_args(argv)
    if args.chunk_rows < 1:
        parser.error("--chunk-rows must be at least 1")
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow.pyfunc.load_model(args.model_dir)
    except (MlflowException, OSError) as err:
        print(json.dumps({"error": f"cannot load the model from {args.model_dir}: {err}"}), file=sys.stderr)
        return 2
    try:
        output = Output(args.output)
        summary = score(
            model, args.input, output, chunk_rows=args.chunk_rows, fmt=args.format, model_uri=args.model_uri
        )
        output.publish([RESULTS, REJECTS, SUMMARY])
    except (InputError, OSError) as err:
        print(json.dumps({"error": str(err), "input": args.input}), file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "rows": summary.rows,
                "scored": summary.scored,
                "failures": summary.failures,
                "duration_seconds": summary.duration_seconds,
                "output": summary.output,
            }
        )
    )
    if summary.scored == 0 and summary.rows > 0 or summary.failure_fraction > args.max_rejected_fraction:
        print(f"rejected {summary.failures} of {summary.rows} records (see {REJECTS})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
