/** @odoo-module **/

import { registry } from "@web/core/registry";

// The Python tests create the statements these tours open.
registry.category("web_tour.tours").add("customer_statement_portal_confirm", {
    steps: () => [
        {
            content: "The statement shows its content hash",
            trigger: ".o_statement_hash",
        },
        {
            content: "Open the confirmation dialog",
            trigger: ".o_statement_confirm_btn",
            run: "click",
        },
        {
            content: "The signer's name is filled in",
            trigger: ".modal .o_web_sign_name_and_signature input:value(王会计)",
        },
        {
            // The dialog sizes its signature pad once it is shown, then draws
            // the name on it again (a click before that would send the empty
            // pad of the hidden dialog): wait for the drawn signature.
            content: "The name is drawn as the signature",
            trigger: ".modal canvas.o_web_sign_signature:not([width='0'])",
            async run() {
                const canvas = this.anchor;
                const drawn = () =>
                    canvas
                        .getContext("2d")
                        .getImageData(0, 0, canvas.width, canvas.height)
                        .data.some((value, index) => index % 4 === 3 && value > 0);
                for (let tries = 0; tries < 100 && !drawn(); tries++) {
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
                if (!drawn()) {
                    throw new Error("The signature was not drawn.");
                }
            },
        },
        {
            content: "Sign and confirm",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The statement is confirmed",
            trigger: ".o_statement_alert_confirmed",
        },
    ],
});

registry.category("web_tour.tours").add("customer_statement_portal_dispute", {
    steps: () => [
        {
            content: "Open the dispute dialog",
            trigger: ".o_statement_dispute_btn",
            run: "click",
        },
        {
            content: "Tick the first line",
            trigger: ".modal .o_statement_dispute_line:eq(0)",
            run: "check",
        },
        {
            content: "Tick the second line",
            trigger: ".modal .o_statement_dispute_line:eq(1)",
            run: "check",
        },
        {
            content: "Choose the reason",
            trigger: ".modal select[name=reason]",
            run: "select amount_differs",
        },
        {
            content: "State the customer's amount",
            trigger: ".modal input[name=customer_amount]",
            run: "edit 3000",
        },
        {
            content: "Explain",
            trigger: ".modal textarea[name=comment]",
            run: "edit 第二张发票金额不对 <b>bold</b>",
        },
        {
            content: "Send",
            trigger: ".modal .o_statement_dispute_submit",
            run: "click",
        },
        {
            content: "The difference is received",
            trigger: ".o_statement_alert_disputed",
        },
    ],
});
