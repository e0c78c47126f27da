"""The dunning e-mails list what each reminder asked for.

Their templates are not updated by an upgrade (a company may have reworded
them). The ones nobody changed since they were installed are reset to the
new version, which lists each invoice's amount due in the reminder's
currency; a changed one is left as it is and named in the log, to be reset
from its form (or edited to use the reminder's invoice details).
"""

import logging

from odoo import api
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TEMPLATES = (
    "customer_reconciliation.mail_template_dunning_reminder",
    "customer_reconciliation.mail_template_dunning_overdue",
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    for xmlid in TEMPLATES:
        template = env.ref(xmlid, raise_if_not_found=False)
        if not template:
            continue
        [[untouched]] = env.execute_query(
            SQL(
                "SELECT write_date <= create_date + INTERVAL '1 minute' "
                "FROM mail_template WHERE id = %s",
                template.id,
            )
        )
        if untouched:
            template.reset_template()
        else:
            _logger.warning(
                "Dunning template %s was changed and is kept: reset it to list each invoice's "
                "amount due in the reminder's currency.",
                xmlid,
            )
