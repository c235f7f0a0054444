"""The README's "Who may change what" table against the code's guarded fields.

Each model that inherits ``waas.guard.mixin`` declares ``_waas_guarded_fields`` (a literal
frozenset in its class body). The README lists, per model, the same fields; this check
reads both (the code with ``ast``, without Odoo) and reports every difference, so the
table a person reads is the table the code enforces. ``make test`` runs it as a gate.
"""

import ast
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

HEADING = "### Who may change what"


def _literal_names(node, names=None):
    """The strings of ``frozenset({...})``, ``frozenset([...])``, a set/list/tuple literal,
    a union (``|``) of those, or a module-level name bound to one of them (``names``)."""
    names = names or {}
    if isinstance(node, ast.BinOp):
        return _literal_names(node.left, names) | _literal_names(node.right, names)
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise SyntaxError(f"guarded fields: cannot resolve the name {node.id}")
        return _literal_names(names[node.id], names)
    if isinstance(node, ast.Call) and node.args:
        return _literal_names(node.args[0], names)
    if isinstance(node, ast.Call):
        return set()
    return {elt.value for elt in getattr(node, "elts", []) if isinstance(elt, ast.Constant)}


def _module_names(tree):
    """{name: value node} of the module-level assignments (constants of field names)."""
    return {
        stmt.targets[0].id: stmt.value
        for stmt in tree.body
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    }


def _model_of(body):
    values = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                values[target.id] = stmt.value
    name = values.get("_name")
    if isinstance(name, ast.Constant):
        return name.value, values
    inherit = values.get("_inherit")
    if isinstance(inherit, ast.Constant):
        return inherit.value, values
    if isinstance(inherit, ast.List | ast.Tuple) and inherit.elts:
        return inherit.elts[0].value, values
    return None, values


def guarded_fields_in_code():
    """{model: set of field names} from ``_waas_guarded_fields`` in the addons' models."""
    result = {}
    for addon in h.OUR_ADDONS:
        for path in sorted((h.REPO / "addons" / addon / "models").glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            names = _module_names(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef):
                    continue
                model, values = _model_of(node.body)
                guarded = values.get("_waas_guarded_fields")
                if model and guarded is not None and model != "waas.guard.mixin":
                    result.setdefault(model, set()).update(_literal_names(guarded, names))
    return {model: names for model, names in result.items() if names}


def guarded_fields_in_readme():
    """{model: set of field names} from the README's "Who may change what" table."""
    table = {}
    for _header, *rows in h.readme_tables(HEADING):
        for cells in rows:
            quoted = re.match(r"`([^`]+)`", cells[0])  # "`sale.order` (WaaS deals)"
            model = quoted.group(1) if quoted else cells[0]
            table[model] = {n.strip().strip("`") for n in cells[1].split(",") if n.strip()}
    return table


def problems():
    try:
        code, readme = guarded_fields_in_code(), guarded_fields_in_readme()
    except (AssertionError, SyntaxError) as error:
        return [str(error)]
    return h.differences(
        dict(sorted(code.items())),
        readme,
        "the code (_waas_guarded_fields)",
        "'Who may change what'",
        lambda model: [
            f"{model}: README lacks {sorted(code[model] - readme[model])}, "
            f"README has extra {sorted(readme[model] - code[model])}"
        ],
    )


if __name__ == "__main__":
    issues = problems()
    print("\n".join(issues) or "README guard table matches the code")
    sys.exit(1 if issues else 0)
