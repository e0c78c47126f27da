from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    statement_policy_id = fields.Many2one(
        "customer.statement.policy",
        string="Statement Policy",
        company_dependent=True,
        domain="[('company_id', 'in', (False, current_company_id))]",
        help="How often this customer gets a statement (对账单) in the "
        "current company, and how it is confirmed.",
    )
    statement_contact_id = fields.Many2one(
        "res.partner",
        string="Statement Contact",
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="The contact who receives and confirms statements; the customer itself when empty.",
    )
    statement_user_id = fields.Many2one(
        "res.users",
        string="Statement Responsible",
        help="Back-office user who follows this customer's statements; the salesperson when empty.",
    )
    statement_ids = fields.One2many("customer.statement", "partner_id", string="Statements")
    statement_count = fields.Integer(compute="_compute_statement_count")

    @api.depends_context("company")
    def _compute_statement_count(self):
        counts = dict(
            self.env["customer.statement"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.statement_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_statement"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_generate_statement(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_statement_generate"
        )
        action["context"] = {
            "default_mode": "partners",
            "default_partner_ids": [self.commercial_partner_id.id],
        }
        return action
