import io

from odoo import api, models
from odoo.tools.misc import xlsxwriter


class CustomerStatementXlsx(models.AbstractModel):
    _name = "customer.statement.xlsx"
    _description = "Customer Statement XLSX Export"

    @api.model
    def _build_workbook(self, statements):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        for statement in statements:
            sheet = workbook.add_worksheet(statement.name)
            sheet.write(0, 0, statement.partner_id.name)
        workbook.close()
        return output.getvalue()
