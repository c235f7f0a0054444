/** @odoo-module **/
// Browser tour of a Dutch reseller's WaaS quotation, in Dutch and in euros. It runs on the
// demo data of ALSO Nederland (tests/test_portal_tour_nl.py): reseller Bits & Bytes IT
// (Anna de Vries, language nl_NL) quotes for its end customer Bakkerij Van Dijk.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("also_waas_demo_portal_quote_nl", {
    url: "/my/waas/quotes",
    steps: () => [
        {
            content: "The list of quotations is in Dutch",
            trigger: "a.o_waas_new_quote:contains('Nieuwe WaaS-offerte')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new quotation form is in Dutch",
            trigger: "h3:contains('Nieuwe WaaS-offerte')",
        },
        {
            content: "The monthly prices are in euros, written the Dutch way",
            trigger: ".o_waas_catalogue td:contains('39,00'):contains('€')",
        },
        {
            content: "Choose the reseller's end customer",
            trigger: "form.o_waas_quote_form select[name=customer_id]",
            run: "selectByLabel Bakkerij Van Dijk B.V.",
        },
        {
            content: "Term: 36 months",
            trigger: "form.o_waas_quote_form select[name=term]",
            run: "select 36",
        },
        {
            content: "Two basic laptop workplaces (product names in Dutch)",
            trigger: "input.o_waas_qty[data-product='WaaS Basic laptopwerkplek']",
            run: "edit 2",
        },
        {
            content: "One extra monitor",
            trigger: "input.o_waas_qty[data-product='Extra monitor (Dell Pro 24)']",
            run: "edit 1",
        },
        {
            content: "Deliver to the end customer",
            trigger: "#waas_delivery_end_customer",
            run: "click",
        },
        {
            content: "Create the quotation (Dutch button)",
            trigger: "button.o_waas_create_quote:contains('Offerte maken')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation page is in Dutch",
            trigger: ".o_waas_quote_title:contains('WaaS-offerte')",
        },
        {
            content: "... for the end customer",
            trigger: ".o_waas_quote_customer:contains('Bakkerij Van Dijk B.V.')",
        },
        {
            content: "... delivered to the end customer",
            trigger: ".o_waas_quote_delivery:contains('Aan de eindklant')",
        },
        {
            content: "... with its monthly total in euros (2 x 39,00 + 8,00)",
            trigger: "table.o_waas_quote_info td:contains('86,00'):contains('€')",
        },
        {
            content: "Send it to the end customer for signature",
            trigger: "button.o_waas_send_quote:contains('Ter ondertekening naar de eindklant sturen')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation was sent (said in Dutch)",
            trigger: ".alert-success:contains('De offerte is per e-mail naar de eindklant verzonden')",
        },
        {
            content: "... and is now a sent quotation",
            trigger: ".badge:contains('Offerte verstuurd')",
        },
    ],
});
