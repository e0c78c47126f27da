from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    statement_default_policy_id = fields.Many2one(
        "customer.statement.policy",
        string="Default Statement Policy",
        check_company=True,
        help="Used for customers that have no statement policy of their own.",
    )

    statement_auditor_id = fields.Many2one(
        "res.partner",
        string="Audit Firm",
        help="The accounting firm auditing the company: balance confirmations (询证函) ask "
        "customers to reply to it directly. Without one, they reply to the company.",
    )

    def _nearest_of(self, owners):
        """This company, or else its nearest parent company, among the
        companies ``owners`` (what a branch takes from its parents when it
        has none of its own); an empty recordset when none is."""
        self.ensure_one()
        # parent_ids runs from the root to the company itself
        return next(
            (company for company in reversed(self.sudo().parent_ids) if company in owners),
            self.browse(),
        )

    def _reconciliation_tz(self):
        """Time zone in which the company's days begin and end.

        Cut-offs, reply deadlines, reminders, dunning and credit ratings count
        in the company's days, whoever runs them: the scheduler works in UTC,
        where 01:00 on 1 November in Shanghai is still 31 October. The
        company's address gives the time zone; without one, the user at work
        (UTC for the scheduler).
        """
        self.ensure_one()
        return self.sudo().partner_id.tz or self.env.user.tz or "UTC"

    def _reconciliation_today(self, timestamp=None):
        """Today's date, or the date of the UTC datetime ``timestamp``, in the
        company's time zone (see :meth:`_reconciliation_tz`)."""
        self.ensure_one()
        return fields.Date.context_today(self.with_context(tz=self._reconciliation_tz()), timestamp)
