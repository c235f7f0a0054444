"""``make einvoice-check``: every kind of WaaS invoice against the official e-invoice rules.

On a fresh throw-away database with the three addons it builds, in EUR: a Dutch company
(ALSO Nederland) invoicing a Dutch customer with 21% VAT, and a Belgian customer under the
intra-EU reverse charge (fiscal position); a Belgian company invoicing a Belgian customer
(21%); a termination fee invoice; a pickup fee invoice; a credit note (Odoo's reversal
wizard). Each gets the documents the scheduled sending sends, made by the same method
(``account.move._waas_prepare_documents``): its PDF printed by headless Chromium (one print
job per company, as the sending prints), then its Peppol BIS Billing 3.0 UBL from the batch
export (``_waas_export_ubl``) with that PDF embedded (``cac:AdditionalDocumentReference``).
That UBL is validated with the official CEN EN 16931 and OpenPeppol rules in
``EINVOICE_RULES`` (default ``../shared/einvoice`` beside the repository; its
``validate.py`` and compiled XSLT, Saxon-HE via ``saxonche``), and its embedded document
must be the invoice's PDF (``%PDF``, mimeCode application/pdf, the PDF's filename) whose text
(PyPDF2) shows the supplier company and the invoice number. The rules are test data from
outside: never copied into the project.

Prints PASS or FAIL per invoice with the failed rules and PDF problems; exit code 1 on any
fatal rule or PDF problem. Knobs: ``EINVOICE_DB`` (default waas_einvoice),
``WAAS_KEEP_DB=1`` keeps the database. The UBL and PDF files stay in ``.cache/einvoice``
for inspection.
"""

import base64
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

DB = os.environ.get("EINVOICE_DB", "waas_einvoice")
OUT = h.CACHE / "einvoice"
PERIOD = "2026-11-01"
RULE_SETS = ("EN16931-UBL-validation.xslt", "PEPPOL-EN16931-UBL.xslt")
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


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


def _company(env, vals, chart, iban, eas, endpoint):
    """A company localised as ALSO's are (its country's chart of accounts, in euros, with
    its taxes and sales journal) before any invoice is made: the invoices, their PDFs and
    their UBL are those of a company set up as in production."""
    # chart_template_load: Odoo would otherwise queue the country chart for the commit,
    # after the invoices; the chart is loaded here, at once.
    company = (
        env["res.company"]
        .with_context(chart_template_load=True)
        .create({**vals, "currency_id": env.ref("base.EUR").id})
    )
    env.user.company_ids |= company
    env["account.chart.template"].try_loading(chart, company, install_demo=False)
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
        "nl",
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
        "be_comp",
        "BE68539007547034",
        "0208",
        "0477472701",
    )
    # 21%: each chart's own sales tax. The reverse charge of services to a business in
    # another EU country: a 0% tax with the UBL category AE (the chart's 0% EU taxes carry
    # no UBL category, and Odoo would then report an intra-EU supply of goods, K).
    nl_21, be_21 = nl.account_sale_tax_id, be.account_sale_tax_id
    nl_rc = _tax(env, nl, "0% EU reverse charge", 0.0, "AE", "VATEX_EU_AE")
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
    """Build the invoices in ``db`` and give them the documents the scheduled sending sends
    (``account.move._waas_prepare_documents``: the PDF printed by headless Chromium, one print
    job per company as the sending does, then the UBL with that PDF embedded). Writes each
    UBL and PDF to ``out``, and in ``expected.json`` what each embedded PDF must show."""
    import odoo  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config([*odoo_args, "-d", db])
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        invoices = build_invoices(env)
        moves = env["account.move"].union(*invoices.values())
        started = time.monotonic()
        errors = {}
        for company, batch in moves.grouped("company_id").items():
            errors.update(batch.with_company(company)._waas_prepare_documents())
        print(
            f"{len(moves)} PDF(s) printed and UBL exported in {time.monotonic() - started:.1f} s"
            f" (one print batch per company, {len(moves.company_id)} companies)"
        )
        out.mkdir(parents=True, exist_ok=True)
        expected = {}
        for name, move in invoices.items():
            for suffix in ("xml", "pdf"):
                (out / f"{name}.{suffix}").unlink(missing_ok=True)
            if move in errors:
                print(f"{name}: no documents for {move.name}: {errors[move]}")
                continue
            (out / f"{name}.xml").write_bytes(move.ubl_cii_xml_id.raw)
            (out / f"{name}.pdf").write_bytes(move.invoice_pdf_report_id.raw)
            expected[name] = {
                "number": move.name,
                "company": move.company_id.name,
                "filename": move.invoice_pdf_report_id.name,
            }
        (out / "expected.json").write_text(json.dumps(expected, indent=2))
        cr.commit()


# --------------------------------------------------------------------------- validation


def embedded_pdf(name, expected):
    """(problems, note) of the PDF embedded in the UBL of ``name``: it must be the invoice's
    own PDF (``expected``: number, company, filename from the worker) and its text must show
    the supplier company and the invoice number (read with PyPDF2, as the PDF tests do)."""
    from odoo.tools.pdf import PdfFileReader  # noqa: PLC0415

    tree = etree.parse(str(OUT / f"{name}.xml"))
    binaries = tree.findall(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", UBL_NS
    )
    if len(binaries) != 1:
        return [f"{len(binaries)} embedded document(s), expected the invoice's PDF"], ""
    binary = binaries[0]
    reference = binary.getparent().getparent()
    filename = expected["filename"]
    problems = []
    if binary.get("mimeCode") != "application/pdf":
        problems.append(f"mimeCode {binary.get('mimeCode')!r}, not application/pdf")
    if binary.get("filename") != filename or not filename.endswith(".pdf"):
        problems.append(f"filename {binary.get('filename')!r}, not the invoice's {filename!r}")
    if reference.findtext("cbc:ID", namespaces=UBL_NS) != filename:
        problems.append(f"document ID {reference.findtext('cbc:ID', namespaces=UBL_NS)!r}")
    pdf = base64.b64decode(binary.text or "")
    if not pdf.startswith(b"%PDF-"):
        return [*problems, f"not a PDF (it starts with {pdf[:8]!r})"], ""
    if pdf != (OUT / f"{name}.pdf").read_bytes():
        problems.append("not the PDF attached to the invoice")
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    # Spaces do not count: a narrow column wraps a name, extraction spaces out hyphens.
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    for what in ("company", "number"):
        if re.sub(r"\s+", "", expected[what]) not in text:
            problems.append(f"its text does not show the {what} {expected[what]!r}")
    return problems, f"{filename}: {len(reader.pages)} page(s), {len(pdf) // 1024} KB"


def validate(rules, names):
    """(fatal rule failures, embedded PDF problems) of the UBL files of ``names``."""
    sys.path.insert(0, str(rules))
    import validate as official  # noqa: PLC0415 - the validator beside the rules
    from saxonche import PySaxonProcessor  # noqa: PLC0415

    expected = json.loads((OUT / "expected.json").read_text())
    fatal_total = pdf_total = 0
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        sheets = {
            name: xslt.compile_stylesheet(stylesheet_file=str(rules / name)) for name in RULE_SETS
        }
        for name in names:
            path = OUT / f"{name}.xml"
            if name not in expected or not path.exists():
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
            problems, note = embedded_pdf(name, expected[name])
            pdf_total += len(problems)
            warnings = f", {len(failures)} warning(s)" if failures and not fatal else ""
            print(
                f"{'FAIL' if fatal or problems else 'PASS'} {name} {expected[name]['number']}"
                f" (PDF {note or 'none'}{warnings})"
            )
            for rule_set, rule, flag, text in failures:
                print(f"    {rule_set} {rule} [{flag}] {text[:200]}")
            for problem in problems:
                print(f"    embedded PDF: {problem}")
    return fatal_total, pdf_total


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
        h.say("Building the invoices, printing their PDFs, exporting their UBL with the PDF")
        subprocess.run(
            [sys.executable, __file__, "--worker", DB, str(OUT), "--", *args, "--log-level=warn"],
            cwd=h.REPO,
            check=True,
        )
        h.say(f"Validating with the official rules in {rules}")
        fatal, pdf = validate(rules, KINDS)
    finally:
        if not os.environ.get("WAAS_KEEP_DB"):
            h.drop_db(DB)
    print(f"{len(KINDS)} invoice(s), {fatal} fatal rule failure(s), {pdf} embedded PDF problem(s)")
    return 1 if fatal or pdf else 0


if __name__ == "__main__":
    sys.exit(main())
