from odoo import api, models


class ReportCustomerStatement(models.AbstractModel):
    _name = "report.customer_reconciliation.report_customer_statement"
    _description = "Customer Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["customer.statement"].browse(docids)
        return {
            "doc_ids": docs.ids,
            "doc_model": "customer.statement",
            "docs": docs,
        }
