"""Run Odoo's own test runner in this process and write an exact summary as JSON.

Usage: python3 odoo_run_tests.py SUMMARY.json -- <odoo server arguments>

Odoo's summary counts a skipped test (a browser tour without Chromium, say) among the
passed ones; this wrapper keeps every skip apart, so that the harness can fail on it. It
also keeps every WARNING or ERROR log record: the harness fails on those our addons cause.
"""

import json
import logging
import sys
import traceback

OUR_MARKERS = ("also_waas", "waas.", "waas_")


class Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call is itself worth reporting
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.records.append({"level": record.levelname, "logger": record.name, "message": message})


def main():
    summary_path = sys.argv[1]
    odoo_args = sys.argv[sys.argv.index("--") + 1 :]

    import odoo
    import odoo.cli.server

    # Odoo's test framework must be imported once the configuration says "test mode".
    odoo.tools.config.parse_config(odoo_args)
    from odoo.tests import loader, result

    totals = {"run": 0, "failures": 0, "errors": 0, "skipped": 0, "skips": [], "problems": []}
    totals["failed_tests"] = []

    original_add_skip = result.OdooTestResult.addSkip

    def add_skip(self, test, reason):
        totals["skips"].append(f"{test.id()}: {reason}")
        return original_add_skip(self, test, reason)

    def record_problem(kind):
        original = getattr(result.OdooTestResult, kind)

        def wrapper(self, test, err):
            totals["problems"].append(f"{kind[3:].lower()}: {test.id()}")
            # A failing subTest reports the subTest; count its test once.
            totals["failed_tests"].append(getattr(test, "test_case", test).id())
            return original(self, test, err)

        return wrapper

    result.OdooTestResult.addSkip = add_skip
    result.OdooTestResult.addFailure = record_problem("addFailure")
    result.OdooTestResult.addError = record_problem("addError")

    original_run_suite = loader.run_suite

    def run_suite(suite, **kwargs):
        res = original_run_suite(suite, **kwargs)
        totals["run"] += res.testsRun
        totals["failures"] += res.failures_count
        totals["errors"] += res.errors_count
        totals["skipped"] += res.skipped
        return res

    loader.run_suite = run_suite

    collector = Collector()
    logging.getLogger().addHandler(collector)
    rc = 0
    try:
        odoo.cli.server.main(odoo_args)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    totals["rc"] = rc
    totals["log"] = collector.records
    with open(summary_path, "w") as fh:
        json.dump(totals, fh, indent=1)


if __name__ == "__main__":
    main()
