from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..tools.filenames import file_name
from .customer_dunning_level import DUNNING_CHANNELS

LETTER_REPORT = "customer_reconciliation.action_report_customer_dunning_letter"


class CustomerDunningRecord(models.Model):
    """Who was reminded of what, when and how: one dunning message to a customer.

    A record groups the invoices of one customer in one currency that
    reached one level in one run, and keeps, per invoice, what it asked the
    customer to pay (``line_ids``). Emails are posted on the record itself (its template lists the
    invoices); activities and printed letters go to the customer's chatter,
    where the salesperson can see them.
    """

    _name = "customer.dunning.record"
    _description = "Dunning Record"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    # Records are what was sent: only the dunning run makes and fills them
    # (statement users read them, and may still write in their chatter).
    _mail_post_access = "read"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        readonly=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the invoices: a customer billed in several currencies gets one "
        "reminder per currency.",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    contact_id = fields.Many2one(
        "res.partner",
        readonly=True,
        help="The invoice contact of the customer the reminder was addressed to.",
    )
    level_id = fields.Many2one(
        "customer.dunning.level",
        required=True,
        index=True,
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
    legal_notice = fields.Boolean(related="level_id.legal_notice")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    invoice_ids = fields.Many2many(
        "account.move",
        "customer_dunning_record_invoice_rel",
        "record_id",
        "move_id",
        string="Invoices",
        readonly=True,
        check_company=True,
    )
    line_ids = fields.One2many(
        "customer.dunning.record.line", "record_id", string="Invoice Details", readonly=True
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    amount_due = fields.Monetary(
        readonly=True,
        help="What the reminder asked the customer to pay, in the invoices' currency: the "
        "instalments due at the level, all of an invoice paid at once.",
    )
    amount_due_words = fields.Char(compute="_compute_amount_due_words", string="Amount in Words")
    channel = fields.Selection(DUNNING_CHANNELS, required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Sent By",
        readonly=True,
        default=lambda self: self.env.user,
        help="The user who ran the dunning, the scheduler's user for automatic runs.",
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        readonly=True,
        help="Who follows the reminder up: gets the activity or the letter to print, or "
        "follows the customer's replies to the email.",
    )
    mail_message_id = fields.Many2one("mail.message", string="Message", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    letter_attachment_id = fields.Many2one(
        "ir.attachment", string="Letter", readonly=True, ondelete="set null"
    )
    note = fields.Text(readonly=True)

    @api.depends("level_id.name", "partner_id.name", "date")
    def _compute_name(self):
        for record in self:
            record.name = " / ".join(
                part
                for part in (
                    record.level_id.name,
                    record.partner_id.name,
                    record.date and fields.Date.to_string(record._letter_date()),
                )
                if part
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        """A reminder is what the customer was sent: it stays, like a posted entry.

        Deleting one would also make the next run send its level again.
        """
        if self:
            raise UserError(
                self.env._(
                    "A reminder records what was sent to the customer and cannot be deleted. "
                    "To stop reminding an invoice, tick Do Not Dun on it."
                )
            )

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for record in self:
            record.invoice_count = len(record.invoice_ids)

    @api.depends("amount_due", "currency_id")
    def _compute_amount_due_words(self):
        from ..tools.rmb import amount_in_words

        cny = self.env.ref("base.CNY", raise_if_not_found=False)
        for record in self:
            record.amount_due_words = (
                amount_in_words(record.amount_due) if record.currency_id == cny else False
            )

    # ------------------------------------------------------------------
    # Making a reminder
    # ------------------------------------------------------------------
    @api.model
    def _dun(self, reminders, today=None, applied=None):
        """Record and send reminders.

        :param reminders: list of ``(level, partner, invoices, others)``,
            a reminder of ``level`` to the commercial ``partner`` for its
            ``invoices``, all in one currency, also listing its ``others``
            overdue invoices (a final notice states the whole overdue debt;
            they are not sent the level)
        :param today: the day of the run, the company's unless given
        :param applied: ``{invoice id: amount}``, what payments and credit
            notes not matched yet take off an invoice they pay in part (in
            its currency). An invoice they leave nothing due on yet (its
            later instalments are not due) is not reminded.
        :return: the dunning records made: one per reminder and contact
            (see :meth:`_dunning_contacts`)
        """
        Line = self.env["customer.dunning.record.line"]
        vals_list = []
        for level, partner, invoices, others in reminders:
            currency = invoices.currency_id.ensure_one()
            company = invoices.company_id.ensure_one()  # a branch's, with its parent's level
            day = today or company._reconciliation_today()

            # the other invoices' overdue instalments (a final notice only)
            def asking(lines, currency=currency):
                # what unmatched credits leave nothing due on is not reminded
                return [
                    line for line in lines if currency.compare_amounts(line["amount_due"], 0) > 0
                ]

            other_lines = asking(Line._values_for(others, day, day, reached=False, applied=applied))
            for contact, contact_invoices in self._dunning_contacts(level, partner, invoices):
                # The instalments that reached the level (for a reminder
                # before the due date, those falling due within its days).
                lines = asking(
                    Line._values_for(
                        contact_invoices,
                        fields.Date.subtract(day, days=level.days),
                        day,
                        applied=applied,
                    )
                )
                asked = {line["move_id"] for line in lines}
                contact_invoices = contact_invoices.filtered(lambda move, a=asked: move.id in a)
                if not contact_invoices:
                    continue
                lines += other_lines
                vals_list.append(
                    {
                        "company_id": company.id,
                        "currency_id": currency.id,
                        "partner_id": partner.id,
                        "contact_id": contact.id,
                        "level_id": level.id,
                        "invoice_ids": [Command.set(contact_invoices.ids)],
                        "line_ids": [Command.create(line) for line in lines],
                        "amount_due": currency.round(sum(line["amount_due"] for line in lines)),
                        "channel": level.channel,
                    }
                )
        records = self.sudo().create(vals_list).with_env(self.env)
        records.sudo()._send()
        return records

    @api.model
    def _dunning_contacts(self, level, partner, invoices):
        """``[(contact, invoices)]``: who is reminded of which invoices.

        An invoice addressed to one of the customer's contacts (a branch, a
        buyer) is reminded to that contact when it has an e-mail address;
        the others go to the customer's invoice address. A final notice is
        the company's business: it goes whole to the invoice address.
        """
        default = partner.browse(partner.address_get(["invoice"])["invoice"])
        if level.legal_notice:
            return [(default, invoices)]
        by_contact = invoices.grouped(
            lambda invoice: (
                invoice.partner_id
                if invoice.partner_id != partner and invoice.partner_id.email
                else default
            )
        )
        return sorted(by_contact.items(), key=lambda item: item[1][:1].id)

    def _send(self):
        """Send the records by their channel: ``_send_email``, ``_send_activity``..."""
        for channel, records in self.grouped("channel").items():
            getattr(records, f"_send_{channel}")()

    def _send_email(self):
        """Email the invoice contacts, rendering each template once for all its records.

        A contact without an email address, or a level without an email
        template, gets an activity for the responsible instead.
        """
        no_email = self.filtered(
            lambda record: not record.contact_id.email or not record.level_id.mail_template_id
        )
        for record in no_email:
            record.write({"channel": "activity", "note": record._no_email_note()})
        no_email._send_activity()
        comment = self.env.ref("mail.mt_comment")
        to_email = self - no_email
        for template, records in to_email.grouped(lambda r: r.level_id.mail_template_id).items():
            composer = (
                self.env["mail.compose.message"]
                .with_context(
                    default_composition_mode="comment",
                    default_model=self._name,
                    default_res_ids=records.ids,
                    default_template_id=template.id,
                )
                .create({"message_type": "comment", "subtype_id": comment.id})
            )
            __, messages = composer._action_send_mail()
            message_by_record = {message.res_id: message for message in messages}
            for record in records:
                # Replies of the customer come back to the record: its responsible
                # follows it, subscribed only now so as not to get the reminder itself.
                responsible = record._get_responsible()
                record.message_subscribe(partner_ids=responsible.partner_id.ids)
                record.write(
                    {
                        "mail_message_id": message_by_record[record.id].id,
                        "responsible_id": responsible.id,
                    }
                )

    def _no_email_note(self):
        """Why the reminder could not be e-mailed."""
        self.ensure_one()
        if not self.contact_id.email:
            return self.env._(
                "%(contact)s has no email address: remind the customer another way.",
                contact=self.contact_id.display_name,
            )
        return self.env._(
            "Level %(level)s has no email template: remind the customer another way.",
            level=self.level_id.name,
        )

    def _get_responsible(self):
        """Who follows this reminder up.

        The customer's salesperson or its statement responsible, in the order
        the level says, then the invoices' salesperson, the level's fallback
        user and the user running the dunning: the first active internal one.
        """
        self.ensure_one()
        partner = self.partner_id
        if self.level_id.activity_user == "responsible":
            users = partner.statement_user_id | partner.user_id
        else:
            users = partner.user_id | partner.statement_user_id
        users |= self.invoice_ids.invoice_user_id | self.level_id.activity_user_id | self.env.user
        return users.filtered(lambda user: user.active and not user.share)[:1]

    def _schedule_activity(self, activity_xmlid, summary):
        self.ensure_one()
        responsible = self._get_responsible()
        note = self.env["ir.qweb"]._render(
            "customer_reconciliation.customer_dunning_activity_note", {"record": self}
        )
        values = {"user_id": responsible.id} if responsible else {}
        activity = self.partner_id.activity_schedule(
            activity_xmlid,
            date_deadline=self.company_id._reconciliation_today(),
            summary=summary,
            note=note,
            **values,
        )
        self.write({"activity_id": activity.id, "responsible_id": responsible.id})
        return activity

    def _send_activity(self):
        for record in self:
            record._schedule_activity(
                "customer_reconciliation.mail_activity_dunning",
                self.env._(
                    "%(level)s: remind the customer of %(count)s invoice(s), %(amount)s",
                    level=record.level_id.name,
                    count=record._listed_count(),
                    amount=record._format_amount(),
                ),
            )

    def _send_letter(self):
        for record in self:
            record._send_one_letter()

    def _send_one_letter(self):
        self.ensure_one()
        content, report_format = self.env["ir.actions.report"]._render_qweb_pdf(
            LETTER_REPORT, self.ids
        )
        filename = f"{self._get_letter_name()}.{report_format}"
        message = self.partner_id.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "%(level)s: letter for %(count)s invoice(s), %(amount)s, to print and send.",
                level=self.level_id.name,
                count=self._listed_count(),
                amount=self._format_amount(),
            ),
            attachments=[(filename, content)],
            subtype_xmlid="mail.mt_note",
        )
        self.write(
            {
                "mail_message_id": message.id,
                "letter_attachment_id": message.attachment_ids[:1].id,
            }
        )
        return self._schedule_activity(
            "customer_reconciliation.mail_activity_dunning_letter",
            self.env._("%(level)s: print and send the letter", level=self.level_id.name),
        )

    def _listed_count(self):
        """Invoices the reminder lists (a final notice lists every overdue one)."""
        self.ensure_one()
        return len(self.line_ids) or len(self.invoice_ids)

    def _format_amount(self):
        return format_amount(self.env, self.amount_due, self.currency_id)

    def _letter_date(self):
        """The day of the reminder where the company works (its date is UTC)."""
        self.ensure_one()
        return self.date and self.company_id._reconciliation_today(self.date)

    def _get_letter_name(self):
        self.ensure_one()
        title = self.env._("Final Notice") if self.legal_notice else self.env._("Payment Reminder")
        return file_name(
            f"{title} {self.partner_id.name} {fields.Date.to_string(self._letter_date())}"
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_print_letter(self):
        return self.env.ref(LETTER_REPORT).report_action(self)
