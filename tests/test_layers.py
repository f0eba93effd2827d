"""The layers of service/ import downwards only: workbench -> pages -> resources -> web -> knowledge -> store
(docs/architecture.md)."""

import ast

import pytest

from service.config import PROJECT_ROOT

ORDER = [
    "workbench",
    "pages",
    "resources",
    "web",
    "knowledge",
    "store",
]  # each may import those after it, never those before


def imported_layers(path, root=PROJECT_ROOT) -> set[str]:
    """The service sub-packages a module imports (relative imports resolved against its own package)."""
    package = path.relative_to(root).with_suffix("").parts[:-1]  # ("service", "web")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
            else:
                target = (node.module or "").split(".")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "service" and len(parts) > 1:
                    found.add(parts[1])
            continue
        else:
            continue
        if target[:1] == ["service"] and len(target) > 1:
            found.add(target[1])
    return found


@pytest.mark.parametrize("layer", ORDER)
def test_a_layer_imports_only_the_layers_below_it(layer):
    above = set(ORDER[: ORDER.index(layer)])
    modules = sorted((PROJECT_ROOT / "service" / layer).rglob("*.py"))
    assert modules
    for module in modules:
        wrong = imported_layers(module) & (above | {"cli"})
        assert not wrong, f"{module.relative_to(PROJECT_ROOT)} imports {sorted(wrong)}, a layer above it"


def test_the_check_sees_upward_imports_of_every_form(tmp_path):
    probe = tmp_path / "service" / "store" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "from ..web.api import problem\nfrom service.resources import entities\nimport service.cli\nfrom . import db\n",
        encoding="utf-8",
    )
    assert imported_layers(probe, root=tmp_path) == {"web", "resources", "cli", "store"}
