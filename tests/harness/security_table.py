"""The README's "Security" tables against the access table the tests check.

``tests/addons/also_waas_scenarios/tests/access_table.py`` holds who may do what
(``ROLES``, ``ACCESS``: model x role) and the portal routes (``ROUTES``: route, model,
for); the scenario tests check every cell of it as real users and through every portal
route. The README's "## Security" section shows the same two tables (first column
``model``, and ``route`` under "### Portal routes"). This check reads both (the Python
source imported by path, without Odoo) and reports every difference, so the table a
person reads is the table the tests check. ``make test`` runs it as a gate.
"""

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

HEADING = "## Security"
SOURCE = h.REPO / "tests/addons/also_waas_scenarios/tests/access_table.py"
SOURCE_NAME = SOURCE.relative_to(h.REPO).as_posix()


def source_tables():
    """(ROLES, ACCESS, ROUTES) of the Python source."""
    spec = importlib.util.spec_from_file_location("waas_access_table", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.ROLES), module.ACCESS, [tuple(row) for row in module.ROUTES]


def readme_table(first_column):
    """(header, rows) of the Security table whose first column is ``first_column``."""
    for header, *body in h.readme_tables(HEADING):
        header = [cell.strip("`") for cell in header]
        body = [[cell.strip("`") for cell in row] for row in body]
        if header[0].lower() == first_column:
            for row in body:
                if len(row) != len(header):
                    raise AssertionError(
                        f"README {first_column} table row has {len(row)} cells: {row}"
                    )
            return header, body
    raise AssertionError(f"the '{HEADING}' section of README.md has no {first_column!r} table")


def _duplicates(keys, what):
    seen, found = set(), []
    for key in keys:
        if key in seen:
            found.append(f"{key}: twice in the README {what} table")
        seen.add(key)
    return found


def _order(readme_keys, source_keys, what):
    if set(readme_keys) == set(source_keys) and list(readme_keys) != list(source_keys):
        return [f"the README {what} table lists its rows in another order than {SOURCE_NAME}"]
    return []


def access_problems(roles, access):
    header, body = readme_table("model")
    found = []
    if tuple(header[1:]) != roles:
        return [f"README access table columns {header[1:]} differ from ROLES {list(roles)}"]
    readme = {row[0]: dict(zip(roles, row[1:], strict=True)) for row in body}
    keys = [row[0] for row in body]
    found += _duplicates(keys, "access")
    found += h.differences(
        access,
        readme,
        SOURCE_NAME,
        "access",
        lambda model: [
            f"{model} / {role}: README says {readme[model][role]!r}, "
            f"{SOURCE_NAME} says {access[model].get(role)!r}"
            for role in roles
            if readme[model][role] != access[model].get(role)
        ],
    )
    return found + _order(keys, list(access), "access")


def route_problems(routes):
    header, body = readme_table("route")
    if [cell.lower() for cell in header] != ["route", "model", "for"]:
        return [f"README route table columns must be route, model, for: {header}"]
    readme = {row[0]: tuple(row) for row in body}
    source = {row[0]: row for row in routes}
    keys = [row[0] for row in body]
    found = _duplicates(keys, "route")
    found += h.differences(
        source,
        readme,
        SOURCE_NAME,
        "route",
        lambda route: [
            f"{route}: README says (model, for) = {readme[route][1:]}, "
            f"{SOURCE_NAME} says {source[route][1:]}"
        ],
    )
    return found + _order(keys, list(source), "route")


def problems():
    try:
        roles, access, routes = source_tables()
        return access_problems(roles, access) + route_problems(routes)
    except (AssertionError, AttributeError, OSError, SyntaxError, ValueError) as error:
        return [f"{type(error).__name__}: {error}"]


if __name__ == "__main__":
    issues = problems()
    print("\n".join(issues) or f"README Security tables match {SOURCE_NAME}")
    sys.exit(1 if issues else 0)
