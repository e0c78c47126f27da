"""Statement lines keep their journal item and entry as plain ids.

Before 18.0.1.1.0 they were many2one columns with foreign keys. Copy them into
the new integer columns (created here so that the data survives the update)
and drop the foreign keys, which locked ledger rows on every line written.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "customer_statement_line", "move_line_id"):
        return
    cr.execute(
        SQL(
            """
            ALTER TABLE customer_statement_line
                ADD COLUMN IF NOT EXISTS move_line_ref integer,
                ADD COLUMN IF NOT EXISTS move_ref integer,
                DROP CONSTRAINT IF EXISTS customer_statement_line_move_line_id_fkey,
                DROP CONSTRAINT IF EXISTS customer_statement_line_move_id_fkey;
            UPDATE customer_statement_line
               SET move_line_ref = COALESCE(move_line_ref, move_line_id),
                   move_ref = COALESCE(move_ref, move_id);
            ALTER TABLE customer_statement_line
                DROP COLUMN move_line_id,
                DROP COLUMN move_id;
            """
        )
    )
