from odoo import api, fields, models


class CustomerDunningRecordLine(models.Model):
    """One invoice of a reminder, as the reminder stated it.

    The figures are taken when the reminder is made and never change, so a
    letter printed again later, or looked at after the customer paid, says
    what the customer was asked for. They are in the invoice's currency,
    which is the reminder's.
    """

    _name = "customer.dunning.record.line"
    _description = "Dunning Record Invoice"
    _order = "record_id, due_date, id"

    record_id = fields.Many2one(
        "customer.dunning.record", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    currency_id = fields.Many2one(related="record_id.currency_id", store=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, readonly=True
    )
    invoice_date = fields.Date(readonly=True)
    due_date = fields.Date(
        readonly=True,
        help="Due date of the oldest instalment unpaid when the reminder was made.",
    )
    days_overdue = fields.Integer(
        readonly=True, help="Days past that due date on the day of the reminder."
    )
    amount_total = fields.Monetary(string="Invoice Total", readonly=True)
    amount_residual = fields.Monetary(
        string="Balance", readonly=True, help="What the invoice still owed on the day."
    )
    amount_due = fields.Monetary(
        readonly=True,
        help="What the reminder asked for: the instalments of the invoice due by the level's "
        "day, all of it for an invoice paid at once.",
    )
    amount_applied = fields.Monetary(
        string="Unmatched Credits",
        readonly=True,
        help="What the customer's payments and credit notes not matched to an invoice yet took "
        "off this one (they pay the most overdue invoices first); the amount asked is net of it.",
    )
    level_reached = fields.Boolean(
        readonly=True,
        help="The invoice reached the reminder's level. A final notice also lists the "
        "customer's other overdue invoices, which were not sent its level.",
    )

    @api.model
    def _values_for(self, invoices, due_by, today, reached=True, applied=None):
        """Values of the lines of a reminder made on ``today`` for ``invoices``.

        The amount asked for an invoice is the residual of its instalments
        due by ``due_by`` (all of it when none is, or for an invoice paid at
        once), less what ``applied`` (``{invoice id: amount}`` in the
        invoice's currency) says unmatched payments and credit notes take off
        it: they pay its oldest instalments first.
        """
        applied = applied or {}
        values = []
        for invoice in invoices:
            currency = invoice.currency_id
            residual = invoice.amount_residual
            taken = currency.round(applied.get(invoice.id, 0))
            due = currency.round(
                sum(
                    invoice._dunning_unpaid_terms()
                    .filtered(lambda line: line.date_maturity <= due_by)
                    .mapped("amount_residual_currency")
                )
            )
            if currency.compare_amounts(due, 0) <= 0:
                due = residual
            due = max(due - taken, 0)
            due_date = invoice._dunning_due_date(taken)
            values.append(
                {
                    "move_id": invoice.id,
                    "invoice_date": invoice.invoice_date,
                    "due_date": due_date,
                    "days_overdue": (today - due_date).days,
                    "amount_total": invoice.amount_total,
                    "amount_residual": residual,
                    "amount_due": due,
                    "amount_applied": taken,
                    "level_reached": reached,
                }
            )
        return values
