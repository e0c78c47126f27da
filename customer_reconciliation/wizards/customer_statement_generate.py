from odoo import api, fields, models
from odoo.exceptions import UserError


class CustomerStatementGenerate(models.TransientModel):
    """Generate statements for chosen customers, or for a policy's customers."""

    _name = "customer.statement.generate"
    _description = "Generate Customer Statements"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    mode = fields.Selection(
        [("partners", "Chosen customers"), ("policy", "Customers of a policy")],
        required=True,
        default="policy",
    )
    policy_id = fields.Many2one(
        "customer.statement.policy",
        check_company=True,
        domain="[('company_id', '=', company_id)]",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        # customers billed in their own name: companies and individuals, not
        # the contacts of a company; the company's own, its branches' and its
        # parent companies' (see the engine's partner check)
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False), "
        "('customer_rank', '>', 0), '|', '|', ('company_id', '=', False), "
        "('company_id', 'parent_of', company_id), ('company_id', 'child_of', company_id)]",
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="Cut-off", required=True)
    skip_empty = fields.Boolean(
        string="Skip Empty Statements",
        default=True,
        help="No statement for a customer with no balance and no movement in the period.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        policy = (
            self.env["customer.statement.policy"].browse(values.get("policy_id"))
            or self.env.company.statement_default_policy_id
        )
        if policy and "policy_id" in fields_list and values.get("mode", "policy") == "policy":
            values.setdefault("policy_id", policy.id)
        if "date_to" in fields_list and not values.get("date_to"):
            date_from, date_to = (
                policy._last_complete_period(fields.Date.context_today(self))
                if policy
                else self.env["customer.statement.policy"]
                .new({"frequency": "monthly", "cutoff_day": 31})
                ._last_complete_period(fields.Date.context_today(self))
            )
            values["date_from"], values["date_to"] = date_from, date_to
        return values

    @api.onchange("policy_id")
    def _onchange_policy_id(self):
        if self.policy_id:
            self.skip_empty = self.policy_id.skip_empty
            self.date_from, self.date_to = self.policy_id._last_complete_period(
                fields.Date.context_today(self)
            )

    def action_generate(self):
        self.ensure_one()
        if self.mode == "policy":
            if not self.policy_id:
                raise UserError(self.env._("Choose the policy whose customers get statements."))
            partners = self.policy_id._get_partners()
            if not partners:
                raise UserError(
                    self.env._("No customer has the policy %(policy)s.", policy=self.policy_id.name)
                )
        else:
            partners = self.partner_ids
            if not partners:
                raise UserError(self.env._("Choose at least one customer."))
        statements = self.env["customer.statement.engine"]._generate(
            partners.ids,
            self.date_from,
            self.date_to,
            self.company_id,
            skip_empty=self.skip_empty,
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_statement"
        )
        action["domain"] = [("id", "in", statements.ids)]
        action["context"] = {"create": False}
        if len(statements) == 1:
            action.update(view_mode="form", res_id=statements.id, views=[(False, "form")])
        return action
