from odoo import api, models
from odoo.exceptions import UserError


class CustomerStatementSnapshotMixin(models.AbstractModel):
    """Rows of a statement's content that only the statement engine writes.

    The engine writes them with SQL, from the ledger, when it computes a
    draft, and deletes them with the draft or when it recomputes it. Nobody
    creates, edits or deletes them through the ORM, not even as superuser:
    once sent, they are what the customer saw and what the content hash
    covers.
    """

    _name = "customer.statement.snapshot.mixin"
    _description = "Customer Statement Content"

    def _snapshot_name(self):
        """What these rows are called in error messages (plural)."""
        return self._description

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        if vals_list:
            raise UserError(
                self.env._("%(rows)s come from the ledger only.", rows=self._snapshot_name())
            )
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if self:
            raise UserError(
                self.env._(
                    "%(rows)s are a snapshot of the ledger and cannot be edited.",
                    rows=self._snapshot_name(),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if self:
            raise UserError(
                self.env._(
                    "%(rows)s are deleted with their draft statement only.",
                    rows=self._snapshot_name(),
                )
            )
