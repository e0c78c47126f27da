from odoo import api, fields, models

from ..tools import aging


class CustomerStatementAging(models.Model):
    """One aging bucket of a statement: open amounts by days past due."""

    _name = "customer.statement.aging"
    _description = "Customer Statement Aging Bucket"
    _order = "statement_id, bucket"

    statement_id = fields.Many2one(
        "customer.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    partner_id = fields.Many2one(related="statement_id.partner_id", store=True, string="Customer")
    date_to = fields.Date(related="statement_id.date_to", store=True, string="Cut-off")
    currency_id = fields.Many2one(related="statement_id.currency_id")
    bucket = fields.Integer(
        string="Bucket Number", readonly=True, help="0 is not due; higher is older."
    )
    days_from = fields.Integer(readonly=True)
    days_to = fields.Integer(readonly=True, help="0 for the open-ended last bucket.")
    amount = fields.Monetary(readonly=True, aggregator="sum")
    name = fields.Char(string="Bucket", compute="_compute_name")

    @api.depends("bucket", "days_from", "days_to")
    def _compute_name(self):
        for row in self:
            row.name = row._label(row.bucket, row.days_from, row.days_to)

    def _label(self, bucket, days_from, days_to):
        if bucket == 0:
            return self.env._("Not due")
        if not days_to:
            return self.env._("Over %(days)s days", days=days_from - 1)
        return self.env._("%(start)s-%(end)s days", start=days_from, end=days_to)

    @api.model
    def _labels_for(self, boundaries_text):
        boundaries = aging.parse_boundaries(boundaries_text)
        return [
            (index, self._label(index, start or 0, end or 0))
            for index, start, end in aging.bucket_ranges(boundaries)
        ]
