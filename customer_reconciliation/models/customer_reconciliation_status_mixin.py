from odoo import api, models
from odoo.exceptions import AccessError


class CustomerReconciliationStatusMixin(models.AbstractModel):
    """Records whose status and evidence fields only their own actions write.

    A plain create or write (a form, an RPC call) of one of
    :meth:`_status_fields` is refused; the actions check that the user may
    write the records and write those fields with :meth:`_write_status`, as
    a system process. So a review cannot be skipped, nor a customer's reply
    made up or rewritten, by editing fields.
    """

    _name = "customer.reconciliation.status.mixin"
    _description = "Customer Reconciliation Status Fields"

    def _status_fields(self):
        """Names of the fields only the record's actions write."""
        return set()

    def _status_fields_error(self, names):
        """The AccessError message for a plain write of ``names``."""
        return self.env._(
            "These fields are changed by the record's actions only: %(fields)s.", fields=names
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_status_fields(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_status_fields([vals])
        return super().write(vals)

    def _check_status_fields(self, vals_list):
        if self.env.su:
            return
        guarded = self._status_fields().intersection(name for vals in vals_list for name in vals)
        if guarded:
            raise AccessError(self._status_fields_error(", ".join(sorted(guarded))))

    def _write_status(self, vals):
        """Write status fields for one of the records' actions."""
        self.check_access("write")
        return self.sudo().write(vals)
