"""Statement lines without foreign keys to master data; aging as a view.

From 18.0.1.2.0 statement lines keep their contact and currency as plain ids
(like their journal item and entry), take their company and customer from
their statement and have no create/write columns: writing a month's lines no
longer checks and locks a partner, company, currency and user row per line.
The aging buckets are a view over the lines, so their table goes. Currency
sections get the customer they were written without.
"""

from odoo.tools import SQL
from odoo.tools.sql import TableKind, column_exists, table_kind


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "customer_statement_line", "contact_id"):
        cr.execute(
            SQL(
                """
                ALTER TABLE customer_statement_line
                    DROP CONSTRAINT IF EXISTS customer_statement_line_contact_id_fkey,
                    DROP CONSTRAINT IF EXISTS customer_statement_line_currency_id_fkey;
                ALTER TABLE customer_statement_line RENAME COLUMN contact_id TO contact_ref;
                ALTER TABLE customer_statement_line RENAME COLUMN currency_id TO currency_ref;
                ALTER TABLE customer_statement_line
                    DROP COLUMN IF EXISTS company_id,
                    DROP COLUMN IF EXISTS partner_id,
                    DROP COLUMN IF EXISTS create_uid,
                    DROP COLUMN IF EXISTS write_uid,
                    DROP COLUMN IF EXISTS create_date,
                    DROP COLUMN IF EXISTS write_date;
                """
            )
        )
    # Currency sections were written without their customer.
    cr.execute(
        SQL(
            """
            UPDATE customer_statement_currency sc
               SET partner_id = s.partner_id
              FROM customer_statement s
             WHERE s.id = sc.statement_id AND sc.partner_id IS NULL
            """
        )
    )
    if table_kind(cr, "customer_statement_aging") == TableKind.Regular:
        cr.execute(SQL("DROP TABLE customer_statement_aging CASCADE"))
