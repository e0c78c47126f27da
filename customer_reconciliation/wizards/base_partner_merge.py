from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        # Before Odoo's own update, which deletes the rows it cannot move.
        self.env["customer.statement"]._check_partner_merge(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)
