"""Statement lines lose the indexes on their journal item and entry ids.

Odoo keeps an index it no longer expects, so the upgrade drops them: every
line written had to be placed in both, at random spots, and no screen looks
lines up by entry often enough to pay for that.
"""

from odoo.tools.sql import drop_index


def migrate(cr, version):
    if not version:
        return
    for column in ("move_line_ref", "move_ref"):
        drop_index(cr, f"customer_statement_line__{column}_index", "customer_statement_line")
