from odoo import models
from odoo.exceptions import UserError

# What an attachment's write may change without touching its file or owner.
HARMLESS_FIELDS = {"name", "description", "public", "access_token", "original_id"}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def write(self, vals):
        if set(vals) - HARMLESS_FIELDS:
            self._check_not_reply_evidence()
        return super().write(vals)

    def unlink(self):
        self._check_not_reply_evidence()
        return super().unlink()

    def _check_not_reply_evidence(self):
        """Refuse to change or delete a file a customer's reply rests on: the
        documents of a confirmation or dispute, and the signature kept on the
        statement. Anyone who may edit the statement could otherwise replace
        them from its chatter. The addon's actions work as a system process."""
        if self.env.su or not self:
            return
        evidence = (
            self.env["customer.statement.reply"]
            .sudo()
            .search([("attachment_ids", "in", self.ids)])
            .attachment_ids
            | self.env["customer.statement.dispute"]
            .sudo()
            .search([("attachment_ids", "in", self.ids)])
            .attachment_ids
        ) & self
        evidence |= self.sudo().filtered(
            lambda a: a.res_model == "customer.statement" and a.res_field == "signature"
        )
        if evidence:
            raise UserError(
                self.env._(
                    "%(names)s belong to a customer's reply to a statement: they are kept "
                    "as they were received and cannot be changed or deleted.",
                    names=", ".join(evidence.sudo().mapped("name")),
                )
            )
