#!/usr/bin/env python3
"""Build a SYNTHETIC database for load tests: the curated knowledge plus N made-up statements.

The made-up statements are benchmark data, never knowledge: each id starts with `synthetic-`, each summary says
"SYNTHETIC", and they live only in the database this script writes (and in a throwaway copy of fixtures/ it
loads from), never in the project's fixtures. Each one cites a real passage of a real article, with its real
offsets, so the database passes the same verification and load as the shipped one (`sanctions-kb init`: schema,
citations, links, rendered documents, search index).

    .venv/bin/python scripts/synth.py --facts 200000 --database /tmp/kb-200k.sqlite3
    .venv/bin/python scripts/synth.py --facts 10000 --database-url postgresql://postgres@127.0.0.1:5432/kb_10k
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STANCES = ("supports", "opposes", "conditional", "neutral")


def synthetic_statements(fixtures: Path, total_facts: int) -> list[dict]:
    """Enough made-up statements for the knowledge to hold `total_facts` facts in all."""
    curated = json.loads((fixtures / "statements.json").read_text(encoding="utf-8"))
    facts = sum(
        len(json.loads((fixtures / name).read_text(encoding="utf-8")))
        for name in (
            "entities.json",
            "roles.json",
            "resolutions.json",
            "votes.json",
            "measures.json",
            "figures.json",
            "events.json",
            "statements.json",
        )
    )
    entities = json.loads((fixtures / "entities.json").read_text(encoding="utf-8"))
    people = [e for e in entities if e["kind"] == "person"]
    topics = [t["id"] for t in json.loads((fixtures / "topics.json").read_text(encoding="utf-8"))]
    passages = [c for s in curated for c in s["citations"] if c.get("quote")]
    start = datetime.date(2017, 1, 1)
    made = []
    for n in range(max(0, total_facts - facts)):
        person, passage = people[n % len(people)], passages[n % len(passages)]
        made.append(
            {
                "id": f"synthetic-{n:07d}",
                "speaker": person["id"],
                "speaker_as_written": person["name"],
                "said_on": (start + datetime.timedelta(days=n % 365)).isoformat(),
                "date_precision": "day",
                "date_derivation": "SYNTHETIC: made up for a load test.",
                "topics": [topics[n % len(topics)], topics[(n + 3) % len(topics)]],
                "stance": STANCES[n % len(STANCES)],
                "summary": f"SYNTHETIC statement {n} for load tests; not knowledge.",
                "quote": None,
                "attribution": "direct",
                "attribution_note": None,
                "attribution_chain": [],
                "event": None,
                "citations": [{**passage, "role": "supports", "fields": [], "wording": None}],
            }
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, required=True, help="facts in all, curated ones included")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", type=Path, help="SQLite file to write (replaced if it exists)")
    where.add_argument("--database-url", help="an empty database of another engine")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{args.database.resolve()}"
    if args.database:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.database}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kb-synthetic-") as tmp:
        fixtures = Path(tmp) / "fixtures"
        shutil.copytree(ROOT / "fixtures", fixtures)
        curated = json.loads((fixtures / "statements.json").read_text(encoding="utf-8"))
        made = synthetic_statements(fixtures, args.facts)
        (fixtures / "statements.json").write_text(json.dumps(curated + made, ensure_ascii=False), encoding="utf-8")
        started = time.monotonic()
        env = {**os.environ, "DATABASE_URL": url, "KB_FIXTURES_DIR": str(fixtures), "KB_SEEDS_DIR": str(ROOT / "seeds")}
        subprocess.run([str(Path(sys.executable).with_name("sanctions-kb")), "init"], env=env, check=True)
    print(f"{len(made)} synthetic statements added; loaded in {time.monotonic() - started:.0f} s into {url}")


if __name__ == "__main__":
    main()
