"""Imports inside surveys/ run one way: the wings use the core, never the reverse.

- The core (the modules directly in surveys/, and its migrations) imports no wing.
- A wing (every package in surveys/ but management and migrations) imports the core and
  itself, never another wing: what two wings need belongs in the core.
- Management commands are the shell's entry points: they may use a wing's services and
  builders, never its views, forms or urls, which belong to the browser.
- Nothing but a command imports surveys.management.

The check reads the source with `ast`, so it also sees imports inside functions.
"""

import ast
from pathlib import Path

SURVEYS = Path(__file__).resolve().parents[2] / "surveys"
NOT_WINGS = {"management", "migrations"}
BROWSER_ONLY = {"views", "forms", "urls"}


def wings(root):
    return sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file() and p.name not in NOT_WINGS)


def imports(path, module):
    """(node, dotted names it may load) for every import in a file; relative ones resolved."""
    package = module if path.name == "__init__.py" else module[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield node, [tuple(alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            base += tuple(node.module.split(".")) if node.module else ()
            # "from x import y" may load the module x.y: count y as part of the name.
            yield node, [base + (alias.name,) for alias in node.names]


def problem(where, target, wing_names):
    """Why a module in `where` (a wing, "management", "migrations" or "core") may not import
    `target`, or None."""
    if target[0] != "surveys" or len(target) < 2:
        return None
    if target[1] == "management":
        return None if where == "management" else "only a management command imports surveys.management"
    if target[1] not in wing_names:
        return None
    wing, part = target[1], (target[2] if len(target) > 2 else None)
    if where in ("core", "migrations"):
        return f"the core imports the wing {wing}"
    if where == "management":
        if part in BROWSER_ONLY:
            return f"a command imports the {part} of the wing {wing}: they belong to the browser"
        return None
    if where != wing:
        return f"the wing {where} imports the wing {wing}; move what both need to the core"
    return None


def layering_violations(root):
    """One line per forbidden import under `root` (a surveys/ folder): file, line, import, why."""
    wing_names = set(wings(root))
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        module = relative.with_suffix("").parts
        if module[-1] == "__init__":
            module = module[:-1]
        where = relative.parts[1] if len(relative.parts) > 2 else "core"
        for node, targets in sorted(imports(path, module), key=lambda pair: pair[0].lineno):
            reasons = dict.fromkeys(filter(None, (problem(where, t, wing_names) for t in targets)))
            found += [f"{relative}:{node.lineno}: {ast.unparse(node)}: {reason}" for reason in reasons]
    return found


def test_surveys_imports_run_one_way():
    violations = layering_violations(SURVEYS)
    assert not violations, "imports against the layering of surveys/:\n" + "\n".join(violations)


def test_the_wings_are_the_user_tasks():
    assert wings(SURVEYS) == ["fieldwork", "reports", "respondent", "results", "rounds"]


# The checker itself, on a small tree written for the purpose.


def tree(tmp_path, files):
    root = tmp_path / "surveys"
    for name in ["__init__.py", "rounds/__init__.py", "respondent/__init__.py",
                 "management/__init__.py", "management/commands/__init__.py", *files]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files.get(name, ""), encoding="utf-8")
    return root


def test_a_clean_tree_passes(tmp_path):
    root = tree(tmp_path, {
        "models.py": "from django.db import models\n",
        "codes.py": "from . import models\nfrom surveys.models import Ballot\n",
        "rounds/services.py": "from surveys import codes\nfrom ..models import Round\nfrom . import forms\n",
        "rounds/forms.py": "from .services import round_open\n",
        "management/commands/close_all.py": "from surveys.rounds.services import round_close\n",
    })
    assert layering_violations(root) == []


def test_the_core_importing_a_wing_is_named(tmp_path):
    root = tree(tmp_path, {
        "selectors.py": "import os\n\nfrom .rounds import services\n",
        "scoring.py": "def rate():\n    from surveys.respondent.forms import CodeForm\n",
    })
    assert layering_violations(root) == [
        "surveys/scoring.py:2: from surveys.respondent.forms import CodeForm: "
        "the core imports the wing respondent",
        "surveys/selectors.py:3: from .rounds import services: the core imports the wing rounds",
    ]


def test_a_wing_importing_another_wing_is_named(tmp_path):
    root = tree(tmp_path, {
        "rounds/views.py": "from ..respondent.forms import CodeForm\n",
        "respondent/views.py": "import surveys.rounds.services\nfrom surveys import rounds\n",
    })
    assert layering_violations(root) == [
        "surveys/respondent/views.py:1: import surveys.rounds.services: "
        "the wing respondent imports the wing rounds; move what both need to the core",
        "surveys/respondent/views.py:2: from surveys import rounds: "
        "the wing respondent imports the wing rounds; move what both need to the core",
        "surveys/rounds/views.py:1: from ..respondent.forms import CodeForm: "
        "the wing rounds imports the wing respondent; move what both need to the core",
    ]


def test_commands_may_use_services_but_not_views_forms_or_urls(tmp_path):
    root = tree(tmp_path, {
        "management/commands/go.py": (
            "from surveys.rounds.services import round_open\n"
            "from surveys.rounds import views, services\n"
            "from ...respondent.forms import CodeForm\n"
        ),
        "rounds/services.py": "from surveys.management.commands.go import Command\n",
    })
    assert layering_violations(root) == [
        "surveys/management/commands/go.py:2: from surveys.rounds import views, services: "
        "a command imports the views of the wing rounds: they belong to the browser",
        "surveys/management/commands/go.py:3: from ...respondent.forms import CodeForm: "
        "a command imports the forms of the wing respondent: they belong to the browser",
        "surveys/rounds/services.py:1: from surveys.management.commands.go import Command: "
        "only a management command imports surveys.management",
    ]
