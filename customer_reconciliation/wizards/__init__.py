from . import customer_statement_generate
