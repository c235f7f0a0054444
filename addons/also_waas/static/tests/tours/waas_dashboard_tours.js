/** @odoo-module **/
// Browser tour of the management dashboard. It relies on the contract the Python test
// creates (tests/test_dashboard_charts.py).

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("waas_management_dashboard", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open WaaS",
            trigger: ".o_app[data-menu-xmlid='also_waas.waas_menu_root']",
            run: "click",
        },
        {
            content: "Open Reporting",
            trigger: "button[data-menu-xmlid='also_waas.waas_menu_reporting']",
            run: "click",
        },
        {
            content: "Open the dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='also_waas.waas_dashboard_menu']",
            run: "click",
        },
        {
            content: "The title is the dashboard's",
            trigger: ".o_breadcrumb:contains('WaaS Dashboard')",
        },
        {
            content: "The chart of the monthly recurring revenue is drawn",
            trigger: ".o_graph_renderer .o_graph_canvas_container canvas",
        },
        {
            content: "Switch to the pivot",
            trigger: "button.o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "Open the records of the current month's figure",
            trigger: ".o_pivot table tbody tr:last-child td.o_pivot_cell_value",
            run: "click",
        },
        {
            content: "The records behind the figure are listed",
            trigger: ".o_list_view .o_data_row td:contains('T-TOUR-01')",
        },
    ],
});
