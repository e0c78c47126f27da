from odoo import fields, models
from odoo.exceptions import UserError


class CustomerStatementConfirm(models.TransientModel):
    """Record a confirmation the customer gave on paper (signed and stamped)."""

    _name = "customer.statement.confirm"
    _description = "Record an Offline Statement Confirmation"

    statement_id = fields.Many2one("customer.statement", required=True, readonly=True)
    signed_by = fields.Char(required=True, help="Who signed the reply slip.")
    scan = fields.Binary(string="Signed Scan", required=True, attachment=False)
    scan_name = fields.Char()
    note = fields.Text()

    def action_record(self):
        self.ensure_one()
        if not self.scan:
            raise UserError(self.env._("Attach the signed reply slip."))
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.scan_name
                or self.env._("Signed statement %(name)s", name=self.statement_id.name),
                "datas": self.scan,
                "res_model": "customer.statement",
                "res_id": self.statement_id.id,
            }
        )
        self.statement_id._record_confirmation(
            self.signed_by,
            audit={
                "channel": "staff",
                "user_id": self.env.uid,
                "content_hash": self.statement_id.content_hash,
            },
            attachments=attachment,
        )
        if self.note:
            self.statement_id.message_post(body=self.note, subtype_xmlid="mail.mt_note")
        return {"type": "ir.actions.act_window_close"}
