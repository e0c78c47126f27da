from odoo import http
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CustomerStatementController(http.Controller):
    @http.route("/customer_reconciliation/statements/xlsx", type="http", auth="user")
    def statements_xlsx(self, ids="", **kwargs):
        try:
            statement_ids = [int(i) for i in ids.split(",") if i.strip()]
        except ValueError:
            raise request.not_found() from None
        statements = request.env["customer.statement"].browse(statement_ids).exists()
        if not statements:
            raise request.not_found()
        statements.check_access("read")
        content = request.env["customer.statement.xlsx"]._build_workbook(statements)
        filename = request.env["customer.statement.xlsx"]._filename(statements)
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
