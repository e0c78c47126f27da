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
            **self._statement_sections(docs),
        }

    @api.model
    def _statement_sections(self, statements):
        """The listed lines of ``statements``, split the way the PDF prints them.

        Returns a dict of three mappings:

        * ``brought_forward``: ``{statement id: lines}`` of the older items
          still open at the cut-off;
        * ``period_lines``: ``{statement id: lines}`` of the period movements;
        * ``currency_lines``: ``{(statement id, currency id): lines}`` of the
          items of each foreign-currency section.

        Lines hidden from the customer are left out; each recordset keeps the
        statement's line order.
        """
        Line = self.env["customer.statement.line"]
        brought_forward = {statement.id: Line for statement in statements}
        period_lines = dict(brought_forward)
        currency_lines = {
            (statement.id, section.currency_id.id): Line
            for statement in statements
            for section in statement.currency_section_ids
        }
        lines = Line._fetch_for_customer(statements)
        groups = {"forward": {}, "period": {}, "currency": {}}
        for line in lines:
            statement_id = line.statement_id.id
            key = "period" if line.in_period else "forward"
            groups[key].setdefault(statement_id, []).append(line.id)
            currency_key = (statement_id, line.currency_id.id)
            if currency_key in currency_lines:
                groups["currency"].setdefault(currency_key, []).append(line.id)
        for statement_id, ids in groups["forward"].items():
            brought_forward[statement_id] = lines.browse(ids)
        for statement_id, ids in groups["period"].items():
            period_lines[statement_id] = lines.browse(ids)
        for currency_key, ids in groups["currency"].items():
            currency_lines[currency_key] = lines.browse(ids)
        return {
            "brought_forward": brought_forward,
            "period_lines": period_lines,
            "currency_lines": currency_lines,
        }
