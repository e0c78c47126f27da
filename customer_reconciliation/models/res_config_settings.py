from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    statement_default_policy_id = fields.Many2one(
        related="company_id.statement_default_policy_id",
        readonly=False,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    statement_tz = fields.Selection(
        related="company_id.partner_id.tz",
        string="Time Zone of Cut-offs",
        readonly=False,
        help="Cut-offs, reply deadlines, reminders, dunning and credit ratings count in "
        "the days of this time zone, also when the scheduler runs them.",
    )

    statement_auditor_id = fields.Many2one(
        related="company_id.statement_auditor_id", readonly=False
    )

    def action_run_statement_generation(self):
        """Run now: generate the due statements of this company's policies."""
        policies = self.env["customer.statement.policy"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("auto_generate", "=", True),
                ("frequency", "!=", "on_demand"),
            ]
        )
        return policies.action_run_generate()

    def action_run_statement_reminders(self):
        """Run now: send the statement reminders that are due."""
        return self.env["customer.statement"].action_run_reminders()
