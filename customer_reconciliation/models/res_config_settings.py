from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    statement_default_policy_id = fields.Many2one(
        related="company_id.statement_default_policy_id", readonly=False
    )
