/** @odoo-module **/
// Browser tours of the WaaS portal. They rely on the data the Python tests create
// (tests/test_portal_tours.py).

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("waas_portal_reseller_quote", {
    url: "/my/waas/quotes/new",
    steps: () => [
        {
            content: "Choose an existing end customer of the reseller",
            trigger: "form.o_waas_quote_form select[name=customer_id]",
            run: "selectByLabel Test End Customer NL",
        },
        {
            content: "Term: 36 months",
            trigger: "form.o_waas_quote_form select[name=term]",
            run: "select 36",
        },
        {
            content: "Two workplace bundles",
            trigger: "input.o_waas_qty[data-product='Test Laptop Bundle']",
            run: "edit 2",
        },
        {
            content: "Upgrade both to Microsoft 365 Business Premium",
            trigger: "input.o_waas_qty[data-product='Test Upgrade to Business Premium']",
            run: "edit 2",
        },
        {
            content: "Deliver to the end customer",
            trigger: "#waas_delivery_end_customer",
            run: "click",
        },
        {
            content: "Create the quotation",
            trigger: "button.o_waas_create_quote",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation page shows the end customer",
            trigger: ".o_waas_quote_customer:contains('Test End Customer NL')",
        },
        {
            content: "... the delivery to the end customer",
            trigger: ".o_waas_quote_delivery:contains('To the end customer')",
        },
        {
            content: "... and the Premium upgrade line",
            trigger: "tr.o_waas_line:contains('Test Upgrade to Business Premium')",
        },
    ],
});

registry.category("web_tour.tours").add("waas_portal_customer_sign", {
    url: "/my/quotes",
    steps: () => [
        {
            content: "Open the WaaS quotation of the reseller",
            trigger: "a:contains('WAAS-TOUR-SIGN')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The WaaS deal is shown before signing",
            trigger: "#waas_info:contains('Test Reseller A')",
        },
        {
            content: "Start signing",
            trigger: "a:contains('Sign')",
            run: "click",
        },
        {
            content: "The signer's name is filled in",
            trigger: ".modal .o_web_sign_name_and_signature input:value(Test End Customer NL)",
        },
        {
            content: "Pick a signature style",
            trigger: ".modal .o_web_sign_auto_select_style button",
            run: "click",
        },
        {
            content: "Second style",
            trigger: ".o-dropdown-item:eq(1)",
            run: "click",
        },
        {
            content: "The signature is drawn in that style",
            trigger: ".modal canvas.o_web_sign_signature",
            async run() {
                // The style's image is drawn once it has loaded: signing before that sends
                // an empty signature, which Odoo refuses ("Signature is missing").
                const canvas = this.anchor;
                const blank = () =>
                    !canvas.width ||
                    !canvas.height ||
                    !canvas
                        .getContext("2d")
                        .getImageData(0, 0, canvas.width, canvas.height)
                        .data.some((value, index) => index % 4 === 3 && value);
                for (let wait = 0; wait < 100 && blank(); wait++) {
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
            },
        },
        {
            content: "Sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation is signed (and waits for ALSO before activation)",
            trigger: "#quote_content:contains('Your order has been signed')",
        },
        {
            content: "The WaaS information is still there after signing",
            trigger: "#waas_info:contains('36 months')",
        },
    ],
});
