from odoo import api, fields, models
from odoo.tools.sql import create_index

DUNNING_GROUPS = "account.group_account_invoice,account.group_account_readonly"


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_excluded = fields.Boolean(
        string="Do Not Dun",
        copy=False,
        tracking=True,
        help="This invoice is left out of dunning reminders.",
    )
    dunning_record_ids = fields.Many2many(
        "customer.dunning.record",
        "customer_dunning_record_invoice_rel",
        "move_id",
        "record_id",
        string="Dunning History",
        copy=False,
        readonly=True,
        groups=DUNNING_GROUPS,
    )
    dunning_level_id = fields.Many2one(
        "customer.dunning.level",
        compute="_compute_dunning_level",
        store=True,
        readonly=True,
        copy=False,
        groups=DUNNING_GROUPS,
        help="The last dunning level this invoice reached.",
    )
    dunning_date = fields.Datetime(
        string="Last Reminder",
        compute="_compute_dunning_level",
        store=True,
        readonly=True,
        copy=False,
    )
    dunning_count = fields.Integer(
        compute="_compute_dunning_count", string="Reminders", groups=DUNNING_GROUPS
    )

    def init(self):
        res = super().init()
        # The customer invoices the dunning run looks at, by company and due date.
        create_index(
            self.env.cr,
            "account_move_dunning_open_idx",
            self._table,
            ["company_id", "invoice_date_due"],
            where="move_type = 'out_invoice' AND state = 'posted' AND amount_residual_signed > 0",
        )
        return res

    def _dunning_due_date(self, applied=0.0):
        """Due date the dunning counts from: the oldest instalment still unpaid.

        An invoice's due date is its last instalment's: with "30% now, the
        rest in 60 days", the first 30% is overdue from the invoice date on.
        ``applied`` (in the invoice's currency) is what payments and credit
        notes not matched to it yet take off it: they pay its oldest
        instalments first.
        """
        self.ensure_one()
        paid_up_to = 0.0
        for term in self._dunning_unpaid_terms().sorted(lambda line: (line.date_maturity, line.id)):
            paid_up_to += term.amount_residual_currency
            if self.currency_id.compare_amounts(paid_up_to, applied) > 0:
                return term.date_maturity
        return self.invoice_date_due

    def _dunning_unpaid_terms(self):
        """The instalments (payment term lines) of this invoice still unpaid."""
        self.ensure_one()
        return self.line_ids.filtered(
            lambda line: (
                line.display_type == "payment_term"
                and line.company_currency_id.compare_amounts(line.amount_residual, 0) > 0
            )
        )

    @api.depends("dunning_record_ids.level_id", "dunning_record_ids.date")
    def _compute_dunning_level(self):
        for move in self:
            last = move.dunning_record_ids.sorted(lambda record: (record.date, record.id))[-1:]
            move.dunning_level_id = last.level_id
            move.dunning_date = last.date

    @api.depends("dunning_record_ids")
    def _compute_dunning_count(self):
        for move in self:
            move.dunning_count = len(move.dunning_record_ids)

    def action_view_dunning_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_dunning_record"
        )
        action["domain"] = [("invoice_ids", "in", self.ids)]
        action["context"] = {"create": False}
        return action

    def _post(self, soft=True):
        # A customer whose credit grade blocks sales above the limit cannot be
        # invoiced further (Odoo's own credit-limit test), unless a manager posts.
        self.env["res.partner"]._check_credit_grade_blocks(
            self.filtered(lambda m: m.move_type == "out_invoice")
        )
        return super()._post(soft=soft)

    def _credit_amount(self):
        """What this invoice adds to the customer's credit, company currency."""
        return self.amount_total_signed

    def _credit_added(self):
        """What posting this invoice adds to the customer's credit, company
        currency: nothing for what confirmed sales orders already count."""
        self.ensure_one()
        move = self.with_company(self.company_id)
        return max(move._credit_amount() - move._get_partner_credit_warning_exclude_amount(), 0.0)

    def _credit_warning_with(self, amount):
        """Odoo's credit-limit warning of this draft invoice had ``amount``
        (company currency) of other invoices been posted before it."""
        self.ensure_one()
        move = self.with_company(self.company_id)
        return move._build_credit_warning_message(
            move,
            current_amount=move._credit_amount() + amount,
            exclude_amount=move._get_partner_credit_warning_exclude_amount(),
        )
