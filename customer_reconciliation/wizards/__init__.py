from . import customer_statement_generate
from . import customer_statement_confirm
from . import base_partner_merge
