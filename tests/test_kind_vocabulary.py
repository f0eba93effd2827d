"""The kinds of record are declared once, in schemas/kinds.py: no module of the service, its schemas or its scripts
writes a list of kinds by hand (each such list is one more place to edit when a kind is added, and one more to
forget)."""

import ast
from pathlib import Path

from schemas.kinds import KIND_TABLE

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("service", "schemas", "scripts")
# Kind names, singular and plural, each to its kind.
KIND_WORDS = {kind.name: kind.name for kind in KIND_TABLE} | {kind.plural: kind.name for kind in KIND_TABLE}
EXEMPT = {
    "schemas/kinds.py": "the table itself",
    # The migration history describes the tables as they were at each released step; a step never changes, so
    # it must not follow the table (a kind added later gets a step of its own).
    "service/store/migrations.py": "frozen migration history",
    "service/store/schema_v1.py": "frozen migration history (the first release's tables)",
}
# Modules that still hold a hand-written list of kinds which cannot be derived yet. Each entry is a defect to fix,
# then to remove from here; the test below also fails if an entry no longer holds such a list.
TODO: dict[str, str] = {}


def _kinds_in(elements: list[ast.expr]) -> set[str]:
    """The kinds a literal's elements list by hand: string constants that are all kind names (a literal mixing in
    other words is a list of fields or columns named after the kinds they hold: a citation's `source`, a fact's
    `disputes`), or names (modules, variables) called after kinds."""
    words = [e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    kinds = {KIND_WORDS[word] for word in words} if all(word in KIND_WORDS for word in words) else set()
    return kinds | {KIND_WORDS[e.id] for e in elements if isinstance(e, ast.Name) and e.id in KIND_WORDS}


def _literal_groups(node: ast.AST):
    """The groups of elements a node writes out: a tuple, list or set literal (an `in (...)` comparison's among
    them), a dict literal's keys, the names one import brings in."""
    written = not isinstance(getattr(node, "ctx", None), ast.Store | ast.Del)  # not the targets of an assignment
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and written:
        yield node.elts
    elif isinstance(node, ast.Dict):
        yield [key for key in node.keys if key is not None]
    elif isinstance(node, ast.ImportFrom):
        yield [ast.Name(alias.asname or alias.name) for alias in node.names]


def _is_meta(node: ast.AST) -> bool:
    return isinstance(node, ast.ClassDef) and node.name == "Meta"


def hand_lists(text: str, name: str) -> list[str]:
    """Each literal of a module's `text` that lists two or more kinds, as name:line and the literal's source."""
    tree = ast.parse(text)
    # A peewee model's `class Meta` names its table's columns (a link table's `("event", "entity")` index): columns
    # named after the kinds they hold, not a list of kinds.
    table_options = {id(n) for meta in ast.walk(tree) if _is_meta(meta) for n in ast.walk(meta)}
    found = []
    for node in ast.walk(tree):
        if id(node) in table_options:
            continue
        for elements in _literal_groups(node):
            if len(_kinds_in(elements)) >= 2:
                source = " ".join((ast.get_source_segment(text, node) or "").split())
                found.append((node.lineno, f"{name}:{node.lineno}: {source[:160]}"))
    return [hit for _, hit in sorted(found)]


def _hand_lists_of(name: str) -> list[str]:
    return hand_lists((ROOT / name).read_text(encoding="utf-8"), name)


def _modules() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for root in SCANNED for p in (ROOT / root).rglob("*.py"))


def test_no_list_of_kinds_is_written_by_hand():
    found = [hit for name in _modules() if name not in EXEMPT and name not in TODO for hit in _hand_lists_of(name)]
    assert not found, "lists of kinds written by hand (derive them from schemas/kinds.py):\n" + "\n".join(found)


def test_every_todo_entry_still_holds_a_hand_list():
    stale = [name for name in TODO if not _hand_lists_of(name)]
    assert not stale, f"no hand-written list of kinds left in {stale}: remove them from TODO"


def test_the_scan_finds_each_form_of_hand_list():
    """Each form of hand list is found (a tuple, a dict's keys, an `in [...]`, an import, a tuple of modules);
    a record's fields named after kinds, and one kind's two names, are not."""
    probe = (
        "SEARCHED = ('statement', 'entity')\n"
        "OWNERS = {'role': 1, 'claims': 2}\n"
        "ok = kind in ['event', 'topic']\n"
        "from .resources import sources, entities\n"
        "MODULES = (sources, entities, health)\n"
        "CITATION = {'source': 1, 'quote': 2, 'role': 3}\n"
        "ONE = ('entity', 'entities')\n"
        "sources, entities = 1, 2\n"
        "class Link:\n"
        "    class Meta:\n"
        '        indexes = ((("event", "entity"), True),)\n'
    )
    assert [hit.split(": ", 1)[0] for hit in hand_lists(probe, "probe.py")] == [f"probe.py:{n}" for n in range(1, 6)]
