from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import Query

# The credit rating is the company's own view of the customer: staff of the
# statements see it, the customer (portal) and other employees do not.
RATING_GROUP = "customer_reconciliation.group_statement_user"
# A negative search operator and its positive form.
NEGATIVE_OPERATORS = {
    "!=": "=",
    "not in": "in",
    "not ilike": "ilike",
    "not like": "like",
    "not any": "any",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    statement_policy_id = fields.Many2one(
        "customer.statement.policy",
        company_dependent=True,
        domain="[('company_id', 'in', (False, current_company_id))]",
        help="How often this customer gets a statement (对账单) in the "
        "current company, and how it is confirmed.",
    )
    statement_contact_id = fields.Many2one(
        "res.partner",
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
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ],
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

    # ------------------------------------------------------------------
    # Dunning
    # ------------------------------------------------------------------
    dunning_blocked = fields.Boolean(
        string="Do Not Dun",
        company_dependent=True,
        tracking=True,
        help="No dunning reminder is sent to this customer in the current company.",
    )
    dunning_record_ids = fields.One2many(
        "customer.dunning.record",
        "partner_id",
        string="Dunning History",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_record_count = fields.Integer(
        compute="_compute_dunning_record_count",
        string="Reminders",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    @api.depends_context("company")
    def _compute_dunning_record_count(self):
        counts = dict(
            self.env["customer.dunning.record"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_record_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_dunning_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_dunning_record"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Credit rating (per company: the current company's rating)
    # ------------------------------------------------------------------
    credit_rating_id = fields.Many2one(
        "customer.credit.rating",
        string="Current Rating",
        compute="_compute_credit_rating",
        groups=RATING_GROUP,
    )
    credit_score = fields.Float(
        compute="_compute_credit_rating",
        search="_search_credit_score",
        groups=RATING_GROUP,
        digits=(5, 1),
        help="0-100, from the customer's own payment behaviour; empty when not rated.",
    )
    credit_grade_id = fields.Many2one(
        "customer.credit.grade",
        compute="_compute_credit_rating",
        search="_search_credit_grade_id",
        groups=RATING_GROUP,
        help="The computed grade, or the manual one when it is overridden.",
    )
    credit_grade = fields.Char(
        string="Grade",
        compute="_compute_credit_rating",
        search="_search_credit_grade_id",
        groups=RATING_GROUP,
        help="The name of the customer's credit grade (A, B, ...) in this company.",
    )
    credit_rated_date = fields.Datetime(
        string="Rated On",
        compute="_compute_credit_rating",
        groups=RATING_GROUP,
    )
    credit_not_rated = fields.Boolean(
        string="Not Rated",
        compute="_compute_credit_rating",
        groups=RATING_GROUP,
    )
    credit_suggested_limit = fields.Monetary(
        string="Suggested Credit Limit",
        compute="_compute_credit_rating",
        currency_field="credit_currency_id",
        groups=RATING_GROUP,
    )
    credit_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_credit_rating",
        groups=RATING_GROUP,
    )
    credit_explanation = fields.Html(
        string="Why This Grade",
        compute="_compute_credit_explanation",
        sanitize=False,
        groups=RATING_GROUP,
    )
    credit_grade_override_id = fields.Many2one(
        "customer.credit.grade",
        string="Manual Grade",
        company_dependent=True,
        tracking=True,
        domain="[('company_id', 'parent_of', current_company_id)]",
        groups=RATING_GROUP,
        help="Replaces the computed grade in this company; a reason is required. "
        "Only statement managers set it: it can lift a grade's block.",
    )
    credit_override_reason = fields.Char(
        string="Reason for the Manual Grade",
        company_dependent=True,
        tracking=True,
        groups=RATING_GROUP,
    )

    @api.depends_context("company")
    @api.depends("credit_grade_override_id")
    def _compute_credit_rating(self):
        company = self.env.company
        ratings = {
            rating.partner_id.id: rating
            for rating in self.env["customer.credit.rating"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", company.id),
                    ("is_current", "=", True),
                ]
            )
        }
        for partner in self:
            rating = ratings.get(partner.commercial_partner_id.id)
            # sudo: the grade also decides for users who may not see it (billing)
            override = partner.commercial_partner_id.sudo().credit_grade_override_id.with_env(
                self.env
            )
            grade = override or (rating.grade_id if rating else False)
            partner.credit_rating_id = rating
            partner.credit_score = rating.score if rating and rating.rated else 0.0
            partner.credit_grade_id = grade
            partner.credit_grade = grade.sudo().name if grade else False
            partner.credit_rated_date = rating.date if rating else False
            partner.credit_not_rated = bool(rating and not rating.rated and not override)
            partner.credit_suggested_limit = rating.suggested_limit if rating else 0.0
            partner.credit_currency_id = company.currency_id

    def _credit_rating_fields(self):
        """The fields that show the current rating (to invalidate once it changes)."""
        computes = ("_compute_credit_rating", "_compute_credit_explanation")
        return [name for name, field in self._fields.items() if field.compute in computes]

    def _search_credit_score(self, operator, value):
        """Customers rated in the current company whose score matches; never
        the ones not rated (their score is empty, not 0)."""
        rated = [
            ("company_id", "=", self.env.company.id),
            ("is_current", "=", True),
            ("rated", "=", True),
        ]
        if value is False or value is None:
            if operator not in ("=", "!="):
                raise UserError(self.env._("A credit score is searched by number."))
            scores = rated
            operator = "not in" if operator == "=" else "in"
        else:
            scores = [*rated, ("score", operator, value)]
            operator = "in"
        customers = self.env["customer.credit.rating"].sudo()._search(scores)
        return [("commercial_partner_id", operator, customers.subselect("partner_id"))]

    def _search_credit_grade_id(self, operator, value):
        """Customers whose grade in the current company (the manual one, or
        else the rating's) matches: by grade id, by grade name, or none."""
        if operator in NEGATIVE_OPERATORS:
            return ["!", *self._search_credit_grade_id(NEGATIVE_OPERATORS[operator], value)]
        Grade = self.env["customer.credit.grade"].sudo()
        company_grades = Grade.search([("company_id", "=", self.env.company.id)])
        if isinstance(value, Query) or operator == "any":
            # a path such as credit_grade_id.sale_policy: the grades found by it
            grades = company_grades & (
                Grade.search([("id", "in", value)])
                if isinstance(value, Query)
                else Grade.search(value)
            )
            return [("commercial_partner_id", "in", self._commercial_partners_graded(grades))]
        values = value if isinstance(value, (list, tuple)) else [value]
        grades = Grade.browse()
        names = [v for v in values if isinstance(v, str)]
        if names:
            name_operator = operator if isinstance(value, str) else "in"
            grades |= company_grades.filtered_domain([("name", name_operator, value)])
        ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        grades |= company_grades.filtered(lambda grade: grade.id in ids)
        graded = self._commercial_partners_graded(grades)
        if any(v is False or v is None for v in values):
            ungraded = self._commercial_partners_graded(company_grades)
            return [
                "|",
                ("commercial_partner_id", "in", graded),
                ("commercial_partner_id", "not in", ungraded),
            ]
        return [("commercial_partner_id", "in", graded)]

    def _commercial_partners_graded(self, grades):
        """Ids of the customers whose grade in the current company is one of
        `grades`: their manual grade, or else their current rating's."""
        if not grades:
            return []
        company = self.env.company
        overridden = (
            self.sudo()
            .with_company(company)
            .search_fetch(
                [("credit_grade_override_id", "!=", False)],
                ["credit_grade_override_id", "commercial_partner_id"],
            )
            # a manual grade counts on the customer itself, not on its contacts
            .filtered(lambda partner: partner.commercial_partner_id == partner)
        )
        ids = {partner.id for partner in overridden if partner.credit_grade_override_id in grades}
        ratings = (
            self.env["customer.credit.rating"]
            .sudo()
            .search_fetch(
                [
                    ("company_id", "=", company.id),
                    ("is_current", "=", True),
                    ("grade_id", "in", grades.ids),
                    ("partner_id", "not in", overridden.ids),
                ],
                ["partner_id"],
            )
        )
        return sorted(ids | set(ratings.partner_id.ids))

    @api.depends_context("company")
    @api.depends("credit_grade_override_id", "credit_override_reason")
    def _compute_credit_explanation(self):
        """The "why this grade" panel, rendered only where it is displayed."""
        QWeb = self.env["ir.qweb"]
        for partner in self:
            rating = partner.credit_rating_id
            partner.credit_explanation = (
                QWeb._render(
                    "customer_reconciliation.credit_rating_explanation",
                    {
                        "rating": rating.sudo(),
                        "override": partner.commercial_partner_id.credit_grade_override_id,
                        "partner": partner,
                    },
                )
                if rating
                else False
            )

    def write(self, vals):
        if (
            {"credit_grade_override_id", "credit_override_reason"}.intersection(vals)
            and not self.env.su
            and not self.env.user.has_group("customer_reconciliation.group_statement_manager")
        ):
            raise AccessError(
                self.env._("Only statement managers may set a customer's manual credit grade.")
            )
        return super().write(vals)

    @api.constrains("statement_contact_id")
    def _check_statement_contact(self):
        for partner in self:
            contact = partner.statement_contact_id
            if contact and contact.commercial_partner_id != partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The statement contact of %(partner)s must be one of its own contacts.",
                        partner=partner.display_name,
                    )
                )

    @api.constrains("credit_grade_override_id", "credit_override_reason")
    def _check_credit_override_reason(self):
        Policy = self.env["customer.credit.policy"]
        for partner in self:
            if (
                partner.credit_grade_override_id
                and not (partner.credit_override_reason or "").strip()
            ):
                raise ValidationError(
                    self.env._(
                        "Give the reason for the manual credit grade of %(partner)s.",
                        partner=partner.display_name,
                    )
                )
            grade = partner.credit_grade_override_id
            if grade and grade.policy_id != Policy._get_policy(self.env.company):
                raise ValidationError(
                    self.env._(
                        "The manual credit grade of %(partner)s must be a grade of the credit "
                        "policy of %(company)s.",
                        partner=partner.display_name,
                        company=self.env.company.name,
                    )
                )

    def action_recompute_credit_rating(self):
        if not self.env.user.has_group("customer_reconciliation.group_statement_user"):
            raise AccessError(self.env._("Only statement users can rate customers."))
        self.env["customer.credit.engine"]._rate_company(
            self.env.company, partner_ids=self.commercial_partner_id.ids
        )
        return True

    def action_apply_credit_suggestion(self):
        """Set the credit limit and payment term the grade suggests."""
        for partner in self.commercial_partner_id:
            grade = partner.credit_grade_id
            if not grade:
                continue
            values = grade._partner_values(partner.credit_suggested_limit)
            if values:
                partner.write(values)
        return True

    def action_view_credit_ratings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_credit_rating"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_filter_current": 0}
        return action

    @api.model
    def _check_credit_grade_blocks(self, records, hold=False):
        """Apply the customers' grades to ``records`` confirmed together
        (invoices being posted, sales orders being confirmed), which count
        each other: each is tested with the ones of the same customer and
        company before it. ``records`` give ``_credit_added()`` and
        ``_credit_warning_with(amount)``.

        With ``hold``, the records a grade blocks are not refused but
        returned (see :meth:`_check_credit_grade_block`).
        """
        # Their credit is read fresh: documents confirmed earlier in the same
        # transaction (one at a time, by an import or a server action) count.
        partners = records.partner_id.commercial_partner_id
        partners.invalidate_recordset(
            [name for name in ("credit", "credit_to_invoice") if name in partners._fields]
        )
        held = records.browse()
        earlier = defaultdict(float)
        for record in records:
            key = (record.partner_id.commercial_partner_id, record.company_id)
            if record.partner_id._check_credit_grade_block(record, earlier[key], hold=hold):
                held |= record
            else:
                earlier[key] += record._credit_added()
        return held

    def _check_credit_grade_block(self, record, earlier=0.0, hold=False):
        """Apply the customer's grade to ``record`` (an invoice being posted, a
        sales order being confirmed, both still drafts) when it goes over the
        credit limit, with ``earlier`` (company currency) of other documents
        confirmed before it.

        Whether it does is Odoo's own test, the record's credit warning in
        its company (off when the company does not use credit limits; it
        counts what a sales order already added only once). An invoice that
        only bills what confirmed sales orders committed is let through: the
        orders were tested, or allowed, when confirmed. A "warn" grade lets
        it through with a note; a "block" grade refuses it, unless a
        statement manager goes over the limit, which is noted on the record.
        Only a person decides so: neither a scheduled action (the superuser)
        nor a customer on the portal. With ``hold``, a blocked record is not
        refused: it is noted, its responsible gets an activity to have a
        manager confirm it, and True is returned.
        """
        partner = self.commercial_partner_id.with_company(record.company_id)
        # Whoever confirms the order (a salesman) may not read the grades.
        grade = partner.credit_grade_id.sudo()
        if not grade or grade.sale_policy == "none":
            return
        if not record.company_id.account_use_credit_limit:
            return  # Odoo's credit limits are off in the company
        if record.company_id.currency_id.compare_amounts(record._credit_added(), 0) <= 0:
            return
        # Odoo's warning, in the record's company (its own compute reads the
        # limit and receivables of the user's current company).
        message = record._credit_warning_with(
            earlier + partner._credit_uncounted(record.company_id)
        )
        if not message:
            return
        if grade.sale_policy == "warn":
            note = self.env._(
                "Over the credit limit of a grade %(grade)s customer, confirmed by %(user)s.",
                grade=grade.name,
                user=self.env.user.name,
            )
        elif self._credit_approver():
            note = self.env._(
                "Over the credit limit of a grade %(grade)s customer, allowed by %(user)s.",
                grade=grade.name,
                user=self.env.user.name,
            )
        elif hold:
            summary = self.env._(
                "Over the credit limit: credit grade %(grade)s needs a manager to confirm it.",
                grade=grade.name,
            )
            # Once per document: the customer may sign or pay again.
            if summary not in record.sudo().activity_ids.mapped("summary"):
                record.message_post(body=summary, subtype_xmlid="mail.mt_note")
                record.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=summary,
                    note=message,
                    user_id=self._credit_hold_responsible(record).id,
                )
            return True
        else:
            raise UserError(
                message
                + "\n"
                + self.env._(
                    "Credit grade %(grade)s does not allow going over the limit; "
                    "ask a manager to confirm it.",
                    grade=grade.name,
                )
            )
        record.message_post(body=note, subtype_xmlid="mail.mt_note")
        return False

    def _credit_uncounted(self, company):
        """What the customer (a commercial partner) owes or has committed in
        ``company`` that Odoo's credit-limit test leaves out, in the company
        currency; the credit grades add it. Nothing here: the sales bridge
        counts the confirmed orders Odoo's test does not."""
        return 0.0

    def _credit_hold_responsible(self, record):
        """Who is asked to have a held ``record`` confirmed: its salesperson,
        else its sales team's leader, else a statement manager of its
        company; never the customer (a portal order's creator)."""
        candidates = record.user_id
        if "team_id" in record._fields:
            candidates |= record.team_id.user_id
        managers = self.env.ref("customer_reconciliation.group_statement_manager").sudo().users
        candidates |= managers.filtered(lambda user: record.company_id in user.company_ids)
        people = candidates.filtered(
            lambda user: user.active and user._is_internal() and not user._is_superuser()
        )
        return people[:1]

    def _credit_approver(self):
        """Whether the current user may take a customer over its limit: a
        statement manager, in person: not the superuser the scheduled
        actions run as, which is a statement manager for their own work."""
        user = self.env.user
        return (
            user._is_internal()
            and not user._is_superuser()
            and user.has_group("customer_reconciliation.group_statement_manager")
        )
