from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    statement_default_policy_id = fields.Many2one(
        "customer.statement.policy",
        string="Default Statement Policy",
        check_company=True,
        help="Used for customers that have no statement policy of their own.",
    )
