"""``make einvoice-check``: every kind of WaaS invoice against the official e-invoice rules.

On a fresh throw-away database with the three addons it builds, in EUR: a Dutch company
(ALSO Nederland) invoicing a Dutch customer with 21% VAT, and a Belgian customer under the
intra-EU reverse charge (fiscal position); a Belgian company invoicing a Belgian customer
(21%); a termination fee invoice; a pickup fee invoice; a credit note (Odoo's reversal
wizard). Their Peppol BIS Billing 3.0 UBL comes from the addon's batch export
(``account.move._waas_export_ubl``) and is validated with the official CEN EN 16931 and
OpenPeppol rules in ``EINVOICE_RULES`` (default ``../shared/einvoice`` beside the
repository; its ``validate.py`` and compiled XSLT, Saxon-HE via ``saxonche``). The rules are
test data from outside: never copied into the project.

Prints PASS or FAIL per invoice with the failed rules; exit code 1 on any fatal rule.
Knobs: ``EINVOICE_DB`` (default waas_einvoice), ``WAAS_KEEP_DB=1`` keeps the database. The
UBL files stay in ``.cache/einvoice`` for inspection.
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

DB = os.environ.get("EINVOICE_DB", "waas_einvoice")
OUT = h.CACHE / "einvoice"
PERIOD = "2026-11-01"
RULE_SETS = ("EN16931-UBL-validation.xslt", "PEPPOL-EN16931-UBL.xslt")


def rules_dir():
    """EINVOICE_RULES, else ``shared/einvoice`` beside the repository (``../shared/einvoice``)
    or beside one of its parent folders (a clone made deeper in the same workplace)."""
    wanted = os.environ.get("EINVOICE_RULES")
    if wanted:
        candidates = [Path(wanted) if Path(wanted).is_absolute() else h.REPO / wanted]
    else:
        candidates = [parent / "shared" / "einvoice" for parent in h.REPO.parents]
    for path in candidates:
        if all((path / name).exists() for name in (*RULE_SETS, "validate.py")):
            return path
    h.say(f"The official rules are not in {candidates[0]} (set EINVOICE_RULES).")
    sys.exit(2)


# --------------------------------------------------------------------------- in Odoo


def _company(env, vals, iban, eas, endpoint):
    # chart_template_load: no country chart queued for the commit (l10n_nl and l10n_be are
    # installed with the demo addon); the check's companies use the generic chart below.
    company = (
        env["res.company"]
        .with_context(chart_template_load=True)
        .create({**vals, "currency_id": env.ref("base.EUR").id})
    )
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company.account_fiscal_country_id = company.country_id
    company.partner_id.write({"peppol_eas": eas, "peppol_endpoint": endpoint})
    env["res.partner.bank"].create(
        {"acc_number": iban, "partner_id": company.partner_id.id, "allow_out_payment": True}
    )
    return company


def _tax(env, company, name, amount, category, exemption=False):
    group = env["account.tax.group"].create(
        {"name": f"VAT {amount:g}%", "company_id": company.id, "country_id": company.country_id.id}
    )
    return env["account.tax"].create(
        {
            "name": name,
            "tax_group_id": group.id,
            "company_id": company.id,
            "country_id": company.country_id.id,
            "type_tax_use": "sale",
            "amount_type": "percent",
            "amount": amount,
            "ubl_cii_tax_category_code": category,
            "ubl_cii_tax_exemption_reason_code": exemption,
        }
    )


def _customer(env, name, country, vat, registry, street, zip_, city, **vals):
    return env["res.partner"].create(
        {
            "name": name,
            "is_company": True,
            "country_id": env.ref(f"base.{country}").id,
            "vat": vat,
            "company_registry": registry,
            "street": street,
            "zip": zip_,
            "city": city,
            "email": f"invoices@{name.split()[0].lower()}.example.com",
            **vals,
        }
    )


def _invoice(env, company, partner, ref, lines, move_type="out_invoice"):
    from odoo import Command  # noqa: PLC0415

    return (
        env["account.move"]
        .with_company(company)
        .create(
            {
                "move_type": move_type,
                "company_id": company.id,
                "partner_id": partner.id,
                "currency_id": env.ref("base.EUR").id,
                "invoice_date": PERIOD,
                "ref": ref,
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "quantity": qty, "price_unit": price})
                    for product, qty, price in lines
                ],
            }
        )
    )


def build_invoices(env):
    """{name: invoice} of every kind, posted."""
    env.ref("base.EUR").active = True
    nl = _company(
        env,
        {
            "name": "ALSO Nederland B.V. (EUR)",
            "country_id": env.ref("base.nl").id,
            "vat": "NL004495445B01",
            "company_registry": "24321773",
            "street": "Lange Kleiweg 52",
            "zip": "2288 GK",
            "city": "Rijswijk",
        },
        "NL91ABNA0417164300",
        "0106",
        "24321773",
    )
    be = _company(
        env,
        {
            "name": "ALSO Belgium NV (EUR)",
            "country_id": env.ref("base.be").id,
            "vat": "BE0477472701",
            "company_registry": "0477472701",
            "street": "Rue de la Loi 16",
            "zip": "1000",
            "city": "Brussels",
        },
        "BE68539007547034",
        "0208",
        "0477472701",
    )
    nl_21 = _tax(env, nl, "21% NL", 21.0, "S")
    nl_rc = _tax(env, nl, "0% EU reverse charge", 0.0, "AE", "VATEX_EU_AE")
    be_21 = _tax(env, be, "21% BE", 21.0, "S")
    intra_eu = env["account.fiscal.position"].create(
        {
            "name": "Intra-EU B2B (reverse charge)",
            "company_id": nl.id,
            "tax_ids": [(0, 0, {"tax_src_id": nl_21.id, "tax_dest_id": nl_rc.id})],
        }
    )
    service = env["product.product"].create(
        {
            "name": "WaaS workplace (monthly)",
            "type": "service",
            "taxes_id": [(6, 0, (nl_21 | be_21).ids)],
        }
    )
    termination = env["product.product"].create(
        {
            "name": "Early termination fee",
            "type": "service",
            "taxes_id": [(6, 0, (nl_21 | be_21).ids)],
        }
    )
    pickup = env.ref("also_waas_returns.product_waas_pickup_fee")
    pickup.taxes_id = nl_21 | be_21
    nl_customer = _customer(
        env,
        "Voorbeeld Zorg B.V.",
        "nl",
        "NL123456782B01",
        "30124359",
        "Stationsplein 1",
        "3511 ED",
        "Utrecht",
    )
    be_customer = _customer(
        env,
        "Exemple Logistique SA",
        "be",
        "BE0403019261",
        "0403019261",
        "Boulevard du Roi Albert II 27",
        "1030",
        "Brussels",
    )
    be_customer.with_company(nl).property_account_position_id = intra_eu
    be_local = _customer(
        env,
        "Voorbeeld Bouw BV",
        "be",
        "BE0202239951",
        "0202239951",
        "Koning Albert II-laan 27",
        "1030",
        "Brussels",
    )
    # A credit note is paid back to the customer's account (Odoo needs it for the UBL of a
    # Dutch supplier's credit note, NL-R-007).
    env["res.partner.bank"].create(
        {
            "acc_number": "NL02ABNA0123456789",
            "partner_id": nl_customer.id,
            "allow_out_payment": True,
        }
    )
    # Dutch customers receive on Peppol with their KvK number when they ask for it.
    nl_customer.write({"peppol_eas": "0106", "peppol_endpoint": "30124359"})
    invoices = {
        name: _invoice(
            env, company, partner, f"WAAS/2026/0000{i}, Nov 1, 2026", [(service, qty, price)]
        )
        for i, (name, company, partner, qty, price) in enumerate(
            (
                ("monthly-nl-21", nl, nl_customer, 10, 39.5),
                ("monthly-nl-to-be-reverse-charge", nl, be_customer, 4, 42.0),
                ("monthly-be-21", be, be_local, 7, 41.25),
            ),
            start=1,
        )
    }
    for move in invoices.values():
        move.action_post()
    fee = _invoice(
        env,
        nl,
        nl_customer,
        "Early termination of WAAS/2026/00001",
        [(termination, 1, 711.0)],
    )
    invoices["termination-fee"] = fee
    invoices["pickup-fee"] = _invoice(
        env, nl, nl_customer, "Secure pickup RET/2026/00001", [(pickup, 1, 95.0)]
    )
    (invoices["termination-fee"] | invoices["pickup-fee"]).action_post()
    reversal = (
        env["account.move.reversal"]
        .with_company(nl)
        .with_context(active_model="account.move", active_ids=invoices["monthly-nl-21"].ids)
        .create(
            {
                "reason": "Device returned early",
                "journal_id": invoices["monthly-nl-21"].journal_id.id,
            }
        )
    )
    credit_note = env["account.move"].browse(reversal.refund_moves()["res_id"])
    credit_note.action_post()
    invoices["credit-note"] = credit_note
    return invoices


def worker(db, out, odoo_args):
    """Build the invoices in ``db`` and write their UBL (the addon's batch export) to ``out``."""
    import odoo  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config([*odoo_args, "-d", db])
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        invoices = build_invoices(env)
        moves = env["account.move"].union(*invoices.values())
        exported = moves._waas_export_ubl()
        out.mkdir(parents=True, exist_ok=True)
        for name, move in invoices.items():
            path = out / f"{name}.xml"
            path.unlink(missing_ok=True)
            if move in exported:
                path.write_bytes(move.ubl_cii_xml_id.raw)
            else:
                print(f"{name}: the UBL export refused {move.name}: {move.waas_einvoice_error}")
        cr.commit()


# --------------------------------------------------------------------------- validation


def validate(rules, names):
    sys.path.insert(0, str(rules))
    import validate as official  # noqa: PLC0415 - the validator beside the rules
    from saxonche import PySaxonProcessor  # noqa: PLC0415

    fatal_total = 0
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        sheets = {
            name: xslt.compile_stylesheet(stylesheet_file=str(rules / name)) for name in RULE_SETS
        }
        for name in names:
            path = OUT / f"{name}.xml"
            if not path.exists():
                print(f"FAIL {name}: no UBL")
                fatal_total += 1
                continue
            failures = []
            for sheet_name, sheet in sheets.items():
                svrl = sheet.transform_to_string(source_file=str(path))
                failures += [
                    (sheet_name.split("-")[0], *failure) for failure in official.failed(svrl)
                ]
            fatal = [f for f in failures if f[2] == "fatal"]
            fatal_total += len(fatal)
            print(
                f"{'FAIL' if fatal else 'PASS'} {name}"
                + (f" ({len(failures)} warning(s))" if failures and not fatal else "")
            )
            for rule_set, rule, flag, text in failures:
                print(f"    {rule_set} {rule} [{flag}] {text[:200]}")
    return fatal_total


KINDS = (
    "monthly-nl-21",
    "monthly-nl-to-be-reverse-charge",
    "monthly-be-21",
    "termination-fee",
    "pickup-fee",
    "credit-note",
)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]), sys.argv[sys.argv.index("--") + 1 :])
        return 0
    rules = rules_dir()
    h.require_odoo()
    h.ensure_postgres()
    h.create_db(DB)
    h.say(f"Installing {', '.join(h.OUR_ADDONS)} in {DB}")
    try:
        args = h.odoo_cmd()[3:]
        cmd = [sys.executable, "-m", "odoo", *args, "-d", DB, "--db-filter=.*"]
        install = [*cmd, "-i", ",".join(h.OUR_ADDONS), "--stop-after-init", "--no-http"]
        subprocess.run([*install, "--log-level=warn"], cwd=h.REPO, check=True)
        h.say("Building the invoices and exporting their UBL")
        subprocess.run(
            [sys.executable, __file__, "--worker", DB, str(OUT), "--", *args, "--log-level=warn"],
            cwd=h.REPO,
            check=True,
        )
        h.say(f"Validating with the official rules in {rules}")
        fatal = validate(rules, KINDS)
    finally:
        if not os.environ.get("WAAS_KEEP_DB"):
            h.drop_db(DB)
    print(f"{len(KINDS)} invoice(s), {fatal} fatal rule failure(s)")
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
