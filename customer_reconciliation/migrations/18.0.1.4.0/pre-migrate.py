"""Dunning records get a currency of their own, statements the version of
their content hash.

A reminder is now made per currency of its invoices. The reminders made
before were all in the company's currency: the upgrade gives them that one,
so that the new required column can be filled.

The content hashes taken before are of version 1 (every amount with the
decimals of the statement's currency), and keep checking by it.
"""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version:
        return
    if not column_exists(cr, "customer_statement", "content_hash_version"):
        create_column(cr, "customer_statement", "content_hash_version", "int4")
        cr.execute(
            "UPDATE customer_statement SET content_hash_version = 1 WHERE content_hash IS NOT NULL"
        )
    if column_exists(cr, "customer_dunning_record", "currency_id"):
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
