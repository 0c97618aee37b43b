"""Regenerate or check tests/data/: the upstream files the tests read instead of a cluster.

`tests/data/sources.json` is the one table: every vendored file, the upstream repository and pinned
commit it comes from, the path there, how it is made (`copy`, or `crd-schema`: a CRD's openAPIV3Schema
through tools/crd_to_json_schema.py) and its sha256. Nothing here downloads: give each upstream as a
local clone (`--source flagger=~/src/flagger`; the file is read at the pinned commit with `git show`,
so any clone that has the commit will do) or as an unpacked release archive of that commit.

    python -m tools.vendor_test_data --check                     # every file is what sources.json says
    python -m tools.vendor_test_data --source flagger=PATH ...   # rewrite those upstreams' files

To move a pin: change its `commit` in sources.json, rerun with that source; the new hashes are recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tools.crd_to_json_schema import render, schemas

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
SOURCES = DATA_DIR / "sources.json"
# Files in tests/data that describe the others rather than come from upstream.
OWN_FILES = frozenset({"README.md", "sources.json"})


class SourceError(Exception):
    """An upstream cannot give a file at its pinned commit."""


def load_sources(path: Path = SOURCES) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def problems(data_dir: Path = DATA_DIR, sources: dict | None = None) -> list[str]:
    """What differs between tests/data and sources.json: changed, missing and unlisted files."""
    files = (sources or load_sources(data_dir / "sources.json"))["files"]
    found: list[str] = []
    for name, entry in sorted(files.items()):
        target = data_dir / name
        if not target.is_file():
            found.append(f"{name}: missing")
        elif sha256(target.read_bytes()) != entry["sha256"]:
            found.append(f"{name}: not the bytes sources.json records (sha256 {entry['sha256'][:12]}...)")
    on_disk = {p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file()}
    found += [f"{name}: not listed in sources.json" for name in sorted(on_disk - set(files) - OWN_FILES)]
    return found


def read_upstream(root: Path, commit: str, path: str) -> bytes:
    if (root / ".git").exists() or root.name.endswith(".git") or (root / "HEAD").is_file():
        done = subprocess.run(
            ["git", "-C", str(root), "show", f"{commit}:{path}"], capture_output=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise SourceError(f"{root}: no {path} at commit {commit} ({done.stderr.decode().strip()})")
        return done.stdout
    if not (root / path).is_file():
        raise SourceError(f"{root}: no {path} (give a clone or an archive of commit {commit})")
    return (root / path).read_bytes()


def build(name: str, entry: dict, upstream: dict, root: Path) -> bytes:
    text = read_upstream(root, upstream["commit"], entry["path"])
    if entry["convert"] == "copy":
        return text
    if entry["convert"] == "crd-schema":
        wanted = name.removeprefix("crd-schemas/")
        converted = schemas(text.decode("utf-8"))
        if wanted not in converted:
            raise SourceError(f"{root}/{entry['path']}: no CRD version gives {wanted} (it gives {sorted(converted)})")
        return render(converted[wanted]).encode("utf-8")
    raise SourceError(f"{name}: unknown convert {entry['convert']!r} in sources.json")


def regenerate(roots: dict[str, Path], data_dir: Path = DATA_DIR) -> list[str]:
    """Rewrites every file of the given upstreams and records its hash; returns what changed."""
    sources = load_sources(data_dir / "sources.json")
    unknown = sorted(set(roots) - set(sources["upstreams"]))
    if unknown:
        raise SourceError(f"unknown upstream {unknown}; sources.json names {sorted(sources['upstreams'])}")
    built = {
        name: build(name, entry, sources["upstreams"][entry["upstream"]], roots[entry["upstream"]])
        for name, entry in sources["files"].items()
        if entry["upstream"] in roots
    }  # everything is read before anything is written: a bad source changes nothing
    changed = []
    for name, data in sorted(built.items()):
        target = data_dir / name
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            changed.append(name)
        sources["files"][name]["sha256"] = sha256(data)
    (data_dir / "sources.json").write_text(json.dumps(sources, indent=2) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare tests/data with sources.json")
    parser.add_argument("--source", action="append", default=[], metavar="UPSTREAM=PATH", help="a local clone")
    args = parser.parse_args(argv)
    roots = {}
    for item in args.source:
        upstream, _, path = item.partition("=")
        if not path:
            parser.error(f"--source {item!r}: expected UPSTREAM=PATH")
        roots[upstream] = Path(path).expanduser()
    if roots and not args.check:
        try:
            changed = regenerate(roots)
        except SourceError as error:
            print(f"error: {error} (nothing was written)", file=sys.stderr)
            return 1
        print(f"regenerated from {sorted(roots)}: {len(changed)} file(s) changed {changed}")
    elif not args.check:
        print("no --source given; checking only (see tests/data/README.md)")
    found = problems()
    for line in found:
        print(f"tests/data/{line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
