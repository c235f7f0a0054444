/** @odoo-module **/
// Browser tour of the returns portal; the Python test opens the contract page.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("waas_portal_reseller_pickup", {
    steps: () => [
        {
            content: "The contract ends soon: book the return",
            trigger: "a.o_waas_book_return",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The secure pickup fee is shown before booking",
            trigger: ".o_waas_pickup_fee:contains('95.00')",
        },
        {
            content: "Secure pickup",
            trigger: "#waas_method_pickup",
            run: "click",
        },
        {
            content: "Window from 13:00",
            trigger: "#waas_time_from",
            run: "edit 13:00",
        },
        {
            content: "to 17:00",
            trigger: "#waas_time_to",
            run: "edit 17:00",
        },
        {
            content: "Who hands the devices over",
            trigger: "#waas_contact_name",
            run: "edit Piet Balie",
        },
        {
            content: "... and the phone number",
            trigger: "#waas_contact_phone",
            run: "edit +31 10 555 0101",
        },
        {
            content: "Book",
            trigger: "button.o_waas_book_return_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The pickup is booked",
            trigger: ".o_waas_return_booked:contains('secure pickup is booked')",
        },
        {
            content: "... scheduled, with the contact person",
            trigger: ".o_waas_pickup_info:contains('Piet Balie')",
        },
        {
            content: "... and the fee invoiced",
            trigger: ".o_waas_pickup_info:contains('95.00')",
        },
    ],
});
