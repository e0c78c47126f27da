from collections import defaultdict

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

    def _dunning_due_date(self):
        """Due date the dunning counts from: the oldest instalment still unpaid.

        An invoice's due date is its last instalment's: with "30% now, the
        rest in 60 days", the first 30% is overdue from the invoice date on.
        """
        self.ensure_one()
        unpaid = self.line_ids.filtered(
            lambda line: (
                line.display_type == "payment_term"
                and line.company_currency_id.compare_amounts(line.amount_residual, 0) > 0
            )
        )
        return min(unpaid.mapped("date_maturity"), default=False) or self.invoice_date_due

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
        # invoiced further (Odoo's own credit-limit test), unless a manager
        # posts. Invoices posted together count each other: each is tested
        # with the ones of the same customer before it in the batch.
        earlier = defaultdict(float)
        for move in self.filtered(lambda m: m.move_type == "out_invoice"):
            key = (move.commercial_partner_id, move.company_id)
            move.partner_id._check_credit_grade_block(
                move, warning=move._credit_warning_with(earlier[key]) if earlier[key] else None
            )
            earlier[key] += move.amount_total_signed
        return super()._post(soft=soft)

    def _credit_warning_with(self, amount):
        """Odoo's credit-limit warning of this draft invoice had ``amount``
        (company currency) of other invoices been posted before it."""
        self.ensure_one()
        move = self.with_company(self.company_id)
        if not move.company_id.account_use_credit_limit:
            return ""
        total_field = (
            "total_amount_currency"
            if move.currency_id == move.company_currency_id
            else "total_amount"
        )
        return move._build_credit_warning_message(
            move,
            current_amount=move.tax_totals[total_field] + amount,
            exclude_amount=move._get_partner_credit_warning_exclude_amount(),
        )
