from . import customer_statement_report
from . import customer_statement_xlsx
