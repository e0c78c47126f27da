from . import customer_statement_generate
from . import customer_statement_confirm
