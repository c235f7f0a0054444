# ALSO WaaS on Odoo 18.0 Community. See README.md.
PYTHON ?= python3

.PHONY: run test bench lint setup i18n einvoice-check

## Create or update the demo database and serve Odoo on http://localhost:8069
run:
	$(PYTHON) tests/harness/run_server.py

## Fresh throw-away database, the three addons, all tests; last line "N passed, N failed"
test:
	$(PYTHON) tests/harness/run_tests.py

## Benchmarks (see the Performance section of the README)
bench:
	$(PYTHON) tests/harness/run_bench.py

## The UBL of every kind of WaaS invoice against the official EN 16931 and Peppol BIS 3.0
## rules in EINVOICE_RULES (default ../shared/einvoice); exit 1 on any fatal rule
einvoice-check:
	$(PYTHON) tests/harness/einvoice_check.py

## Style gates only (every addon folder of addons/ and tests/addons/)
ADDON_DIRS := $(patsubst %/__manifest__.py,%,$(wildcard addons/*/__manifest__.py tests/addons/*/__manifest__.py))
lint:
	ruff check addons tests && ruff format --check addons tests && $(PYTHON) -m pylint --rcfile=.pylintrc $(ADDON_DIRS)

## Python packages of the suite (Odoo 18.0 Community itself must already be installed): the
## test and style tools of requirements.txt, then the external_dependencies of the addons'
## manifests (listed by manifestoo). The addons themselves are not pip-installed: an installed
## odoo-addon-* package (even editable) comes first in odoo.addons and would shadow addons/.
setup:
	$(PYTHON) tests/harness/check_platform.py
	$(PYTHON) -m pip install -r requirements.txt
	mkdir -p .cache
	$(PYTHON) -m manifestoo -d addons -d tests/addons list-external-dependencies python > .cache/addons-requirements.txt
	$(PYTHON) -m pip install -r .cache/addons-requirements.txt

## Refresh i18n/<addon>.pot and merge new terms into i18n/nl.po (see tests/harness/i18n_sync.py)
i18n:
	$(PYTHON) tests/harness/i18n_sync.py
