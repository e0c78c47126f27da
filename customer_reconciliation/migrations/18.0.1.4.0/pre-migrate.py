"""Dunning records get a currency of their own.

A reminder is now made per currency of its invoices. The reminders made
before were all in the company's currency: the upgrade gives them that one,
so that the new required column can be filled.
"""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version or column_exists(cr, "customer_dunning_record", "currency_id"):
        return
    create_column(cr, "customer_dunning_record", "currency_id", "int4")
    cr.execute(
        """
        UPDATE customer_dunning_record record
           SET currency_id = company.currency_id
          FROM res_company company
         WHERE company.id = record.company_id
        """
    )
