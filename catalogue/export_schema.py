"""Writes models/schema.json from catalogue.schema.ModelSpec: `python -m catalogue.export_schema`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from catalogue.schema import ModelSpec

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "models" / "schema.json"


def schema_text() -> str:
    schema = ModelSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlops-platform model catalogue entry (models/<name>.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
