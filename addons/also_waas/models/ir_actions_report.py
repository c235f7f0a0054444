# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""PDF reports printed by headless Chromium instead of wkhtmltopdf.

The only wkhtmltopdf a package registry offers here (Debian's 0.12.6, without patched Qt)
drops Odoo's header and footer (no company name, address, VAT number or page numbers on
an invoice) and breaks printing several records at once. Chromium, already needed for the
browser tours, prints through its DevTools protocol (``Page.printToPDF``): each report body
becomes one PDF with Odoo's header and footer as Chromium's header and footer templates, the
paper format's size, margins and orientation, and "page x / y" numbers counted per record.
Stylesheets, fonts and images of the report styles are read in this process (no web server
is needed, a scheduled job prints too).

The system parameter ``also_waas.pdf_renderer`` chooses: ``chromium`` (default) or
``wkhtmltopdf`` (Odoo's own path, for a wkhtmltopdf built with patched Qt).
"""

import base64
import json
import logging
import mimetypes
import os
import posixpath
import re
import resource
import shutil
import subprocess
import tempfile
import time
from io import BytesIO
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.misc import file_open
from odoo.tools.pdf import PdfFileReader, PdfFileWriter, generic

_logger = logging.getLogger(__name__)

CHROMIUM_BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Seconds: Chromium must open its DevTools port, and answer each command, within these.
CHROMIUM_START_TIMEOUT = 20
CHROMIUM_COMMAND_TIMEOUT = 120
MM_PER_INCH = 25.4
STYLESHEET_LINK = re.compile(
    r"""<link\b[^>]*?\bhref=["'](?P<href>/web/assets/[^"']+\.css)["'][^>]*>""", re.IGNORECASE
)
# Odoo's header and footer fill these classes through wkhtmltopdf's page variables;
# Chromium fills its own classes in header and footer templates.
PAGE_VARIABLES = {"page": "pageNumber", "topage": "totalPages"}


def _memory_limited():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return soft != hard


def _without_memory_limit():
    """Odoo lowers its own address-space limit (``limit_memory_hard``); Chromium's V8
    reserves far more virtual memory than it uses and dies under that limit (as Odoo's
    browser tests know): the child gets the hard limit back."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _chromium_binary():
    return next(filter(None, map(shutil.which, CHROMIUM_BINARIES)), None)


# ------------------------------------------------------------------------------------------
# Chromium over the DevTools protocol
# ------------------------------------------------------------------------------------------


class _Chromium:
    """One headless Chromium for one print job: a page, commands in order, then gone."""

    def __init__(self, binary, env):
        self.binary = binary
        self.env = env
        self.process = None
        self.socket = None
        self.session = None
        self.profile = None
        self.last_id = 0

    def __enter__(self):
        import websocket  # noqa: PLC0415 (installed with Odoo; only needed when printing)

        self.profile = tempfile.TemporaryDirectory(
            prefix="waas_chromium_", ignore_cleanup_errors=True
        )
        command = [
            self.binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile.name}",
            "about:blank",
        ]
        try:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_without_memory_limit if _memory_limited() else None,  # noqa: PLW1509
            )
            port, path = self._devtools_address()
            self.socket = websocket.create_connection(
                f"ws://127.0.0.1:{port}{path}",
                timeout=CHROMIUM_COMMAND_TIMEOUT,
                suppress_origin=True,
            )
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            self.call("Fetch.enable", patterns=[{"urlPattern": "*/static/*"}])
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        if self.socket:
            try:
                self.call("Browser.close", session=False)
            except Exception:  # noqa: BLE001 (closing anyway, the process is killed below)
                _logger.debug("Chromium did not close by itself", exc_info=True)
            self.socket.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.profile:
            # Chromium's helper processes may still write into the profile for a moment
            # after the browser process exits: try a few times, then leave it to the system.
            for _attempt in range(10):
                shutil.rmtree(self.profile.name, ignore_errors=True)
                if not os.path.exists(self.profile.name):
                    break
                time.sleep(0.1)
            self.profile.cleanup()

    def _devtools_address(self):
        """Chromium writes the port it chose and the browser's path in DevToolsActivePort."""
        port_file = os.path.join(self.profile.name, "DevToolsActivePort")
        deadline = time.monotonic() + CHROMIUM_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UserError(
                    self.env._(
                        "Chromium (%(binary)s) stopped at once (exit code %(code)s): the PDF "
                        "cannot be created.",
                        binary=self.binary,
                        code=self.process.returncode,
                    )
                )
            if os.path.exists(port_file):
                with open(port_file, encoding="utf-8") as lines:
                    port, _sep, path = lines.read().partition("\n")
                if path.strip():
                    return int(port), path.strip()
            time.sleep(0.05)
        raise UserError(
            self.env._(
                "Chromium (%(binary)s) did not start within %(seconds)s seconds: the PDF "
                "cannot be created.",
                binary=self.binary,
                seconds=CHROMIUM_START_TIMEOUT,
            )
        )

    def send(self, method, session=True, **params):
        """Send one command; returns its id."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        return self.last_id

    def call(self, method, session=True, **params):
        """Send one command and wait for its answer, serving the page's requests for static
        files meanwhile (other events are dropped)."""
        import websocket  # noqa: PLC0415 (installed with Odoo; only needed when printing)

        command_id = self.send(method, session=session, **params)
        deadline = time.monotonic() + CHROMIUM_COMMAND_TIMEOUT
        while time.monotonic() < deadline:
            try:
                answer = json.loads(self.socket.recv())
            except websocket.WebSocketTimeoutException:
                break
            if answer.get("method") == "Fetch.requestPaused":
                self._serve_static(answer["params"])
                continue
            if answer.get("id") != command_id:
                continue
            if "error" in answer:
                raise UserError(
                    self.env._(
                        "Chromium could not print the PDF (%(method)s: %(error)s).",
                        method=method,
                        error=answer["error"].get("message"),
                    )
                )
            return answer["result"]
        raise UserError(
            self.env._(
                "Chromium did not answer within %(seconds)s seconds: the PDF cannot be created.",
                seconds=CHROMIUM_COMMAND_TIMEOUT,
            )
        )

    def _serve_static(self, paused):
        """A report's stylesheets name fonts and images by their addon path
        (``/web/static/fonts/...``): read them from the addons as Odoo's web server would,
        so that printing needs no running web server (a scheduled job prints too)."""
        path = posixpath.normpath(urlsplit(paused["request"]["url"]).path).lstrip("/")
        parts = path.split("/")
        content = None
        if len(parts) > 2 and parts[1] == "static":
            try:
                with file_open(path, "rb") as static_file:
                    content = static_file.read()
            except (OSError, ValueError):
                content = None
        if content is None:
            self.send("Fetch.failRequest", requestId=paused["requestId"], errorReason="Failed")
            return
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        self.send(
            "Fetch.fulfillRequest",
            requestId=paused["requestId"],
            responseCode=200,
            responseHeaders=[
                {"name": "Content-Type", "value": mimetype},
                {"name": "Access-Control-Allow-Origin", "value": "*"},
            ],
            body=base64.b64encode(content).decode(),
        )

    def print_pdf(self, html, options):
        """The PDF of one HTML document, once it and its fonts are loaded."""
        frame = self.call("Page.getFrameTree")["frameTree"]["frame"]["id"]
        self.call("Page.setDocumentContent", frameId=frame, html=html)
        self.call(
            "Runtime.evaluate",
            expression=(
                "new Promise(resolve => document.readyState === 'complete' ? resolve()"
                " : window.addEventListener('load', resolve))"
                ".then(() => document.fonts.ready).then(() => true)"
            ),
            awaitPromise=True,
        )
        return base64.b64decode(self.call("Page.printToPDF", **options)["data"])


# ------------------------------------------------------------------------------------------
# ir.actions.report
# ------------------------------------------------------------------------------------------


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _waas_prints_with_chromium(self):
        renderer = self.env["ir.config_parameter"].sudo().get_param("also_waas.pdf_renderer")
        return (renderer or "chromium") != "wkhtmltopdf"

    @api.model
    def get_wkhtmltopdf_state(self):
        """Odoo asks this before printing (and the web client before offering a PDF): with
        Chromium, printing is always offered; a missing Chromium is said when printing."""
        if self._waas_prints_with_chromium():
            return "ok"
        return super().get_wkhtmltopdf_state()

    @api.model
    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """Odoo's contract: the PDF (bytes) of ``bodies``, one report body per record.

        Each body is printed on its own, then the PDFs are joined with one top-level
        outline entry per body, which is how Odoo splits a batch back into one PDF per
        record (``_render_qweb_pdf_prepare_streams``)."""
        if not self._waas_prints_with_chromium():
            return super()._run_wkhtmltopdf(
                bodies,
                report_ref=report_ref,
                header=header,
                footer=footer,
                landscape=landscape,
                specific_paperformat_args=specific_paperformat_args,
                set_viewport_size=set_viewport_size,
            )
        binary = _chromium_binary()
        if not binary:
            raise UserError(
                self.env._(
                    "Chromium is not installed: PDFs cannot be printed. Install it (Debian: "
                    "apt-get install chromium) or run make setup."
                )
            )
        paperformat = (
            self._get_report(report_ref).get_paperformat() if report_ref else self.get_paperformat()
        )
        options = self._waas_print_options(paperformat, landscape, specific_paperformat_args or {})
        stylesheets = {}
        pdfs = []
        with _Chromium(binary, self.env) as chromium:
            for index, body in enumerate(bodies):
                page_options = dict(options)
                header_html = self._waas_margin_template(header, index, stylesheets)
                footer_html = self._waas_margin_template(footer, index, stylesheets)
                if header_html or footer_html:
                    page_options.update(
                        displayHeaderFooter=True,
                        headerTemplate=header_html or "<span></span>",
                        footerTemplate=footer_html or "<span></span>",
                    )
                html = self._waas_inline_stylesheets(body, stylesheets)
                pdfs.append(chromium.print_pdf(html, page_options))
        return self._waas_join_pdfs(pdfs)

    # --- paper format -----------------------------------------------------------------------

    @api.model
    def _waas_print_options(self, paperformat, landscape, specific_args):
        """``Page.printToPDF`` options from the paper format, as wkhtmltopdf's arguments are
        built from it (``_build_wkhtmltopdf_args``): size, margins (mm), orientation."""
        if landscape is None:
            landscape = specific_args.get("data-report-landscape")
        options = {"printBackground": True, "preferCSSPageSize": False}
        if not paperformat:
            return dict(options, landscape=bool(landscape))
        width, height = paperformat.print_page_width, paperformat.print_page_height
        if paperformat.orientation == "Landscape":  # print_page_* are already swapped
            width, height = height, width
        landscape = bool(landscape) or paperformat.orientation == "Landscape"
        margin_top = float(specific_args.get("data-report-margin-top") or paperformat.margin_top)
        margin_bottom = float(
            specific_args.get("data-report-margin-bottom") or paperformat.margin_bottom
        )
        return dict(
            options,
            landscape=landscape,
            paperWidth=width / MM_PER_INCH,
            paperHeight=height / MM_PER_INCH,
            marginTop=margin_top / MM_PER_INCH,
            marginBottom=margin_bottom / MM_PER_INCH,
            marginLeft=paperformat.margin_left / MM_PER_INCH,
            marginRight=paperformat.margin_right / MM_PER_INCH,
        )

    # --- HTML for Chromium ------------------------------------------------------------------

    @api.model
    def _waas_stylesheet(self, href, stylesheets):
        """The CSS of an asset bundle link (``/web/assets/<version>/<bundle>.min.css``),
        read in this process: Chromium's header and footer templates load nothing, and the
        body does not depend on a web server being reachable."""
        if href not in stylesheets:
            filename = href.rsplit("/", 1)[-1]
            # sudo: asset bundles are public; building a missing one writes an attachment
            # (as Odoo's /web/assets controller does).
            asset = self.env["ir.asset"].sudo()
            bundle_name, rtl, _asset_type = asset._parse_bundle_name(filename, False)
            bundle = self.env["ir.qweb"].sudo()._get_asset_bundle(bundle_name, js=False, rtl=rtl)
            attachment = bundle.css() if bundle.stylesheets else None
            stylesheets[href] = attachment.raw.decode() if attachment else ""
        return stylesheets[href]

    @api.model
    def _waas_inline_stylesheets(self, html, stylesheets):
        def inline(match):
            css = self._waas_stylesheet(match["href"], stylesheets)
            return "<style>" + css.replace("</style", "<\\/style") + "</style>"

        return STYLESHEET_LINK.sub(inline, html)

    @api.model
    def _waas_margin_template(self, layout_html, index, stylesheets):
        """Chromium's header or footer template for body ``index``: the ``index``-th header
        (or footer) of Odoo's layout (which wkhtmltopdf picks in JavaScript), its stylesheets
        inlined, page numbers as Chromium's classes, no scripts (templates run none)."""
        if not layout_html:
            return ""
        root = lxml.html.fromstring(layout_html)
        container = root.xpath(
            "//div[@id='minimal_layout_report_headers' or @id='minimal_layout_report_footers']"
        )
        if not container or len(container[0]) <= index:
            return ""
        block = container[0][index]
        if not "".join(block.itertext()).strip() and not block.xpath(".//img"):
            return ""
        for node in block.xpath(".//*[@class]"):
            classes = node.get("class").split()
            extra = [PAGE_VARIABLES[name] for name in classes if name in PAGE_VARIABLES]
            node.set("class", " ".join(classes + extra))
        styles = "".join(
            self._waas_stylesheet(href, stylesheets)
            for href in root.xpath("//link[@rel='stylesheet']/@href")
            if href.startswith("/web/assets/")
        ).replace("</style", "<\\/style")
        body = root.xpath("//body")[0]
        # Chromium's template page has a tiny root font size and no body styles: give back
        # the report's (rem sizes, font, colour); the body's classes give Odoo's layout
        # styles their context; the zoom matches the margin's scale to the body's.
        return (
            f"<style>{styles}</style>"
            "<style>html {font-size: 16px !important; -webkit-print-color-adjust: exact;}"
            " #waas-margin {width: 100%; zoom: 0.9; font-family: var(--body-font-family);"
            " font-size: var(--body-font-size); line-height: var(--body-line-height);"
            " color: var(--body-color);}</style>"
            f"<div id='waas-margin' class='{body.get('class', '')}'>"
            f"{etree.tostring(block, method='html', encoding='unicode')}</div>"
        )

    # --- one PDF of many --------------------------------------------------------------------

    @api.model
    def _waas_join_pdfs(self, pdfs):
        """One PDF; with several bodies, a top-level outline entry at the first page of each,
        written as wkhtmltopdf writes them (a named destination to a page number), which is
        what Odoo reads to split a batch into one PDF per record."""
        if len(pdfs) == 1:
            return pdfs[0]
        writer = PdfFileWriter()
        first_pages = []
        for pdf in pdfs:
            first_pages.append(len(writer.pages))
            writer.append_pages_from_reader(PdfFileReader(BytesIO(pdf), strict=False))
        self._waas_add_split_outline(writer, first_pages)
        stream = BytesIO()
        writer.write(stream)
        return stream.getvalue()

    @api.model
    def _waas_add_split_outline(self, writer, first_pages):
        ArrayObject, DictionaryObject, NameObject = (
            generic.ArrayObject,
            generic.DictionaryObject,
            generic.NameObject,
        )
        NullObject, NumberObject, TextStringObject = (
            generic.NullObject,
            generic.NumberObject,
            generic.TextStringObject,
        )
        destinations = DictionaryObject()
        outline = DictionaryObject({NameObject("/Type"): NameObject("/Outlines")})
        outline_ref = writer._add_object(outline)
        entries = []
        for number, page in enumerate(first_pages, start=1):
            name = NameObject(f"/waas_record_{number}")
            destinations[name] = ArrayObject(
                [NumberObject(page), NameObject("/XYZ"), NullObject(), NullObject(), NullObject()]
            )
            entry = DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(str(number)),
                    NameObject("/Parent"): outline_ref,
                    NameObject("/Dest"): name,
                }
            )
            entries.append(writer._add_object(entry))
        for previous, following in zip(entries, entries[1:], strict=False):
            previous.getObject()[NameObject("/Next")] = following
            following.getObject()[NameObject("/Prev")] = previous
        outline.update(
            {
                NameObject("/First"): entries[0],
                NameObject("/Last"): entries[-1],
                NameObject("/Count"): NumberObject(len(entries)),
            }
        )
        root = writer._root_object
        root[NameObject("/Outlines")] = outline_ref
        root[NameObject("/Dests")] = writer._add_object(destinations)
