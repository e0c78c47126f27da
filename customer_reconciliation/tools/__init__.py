# Pure-Python rules of the statement domain. These modules import nothing
# from Odoo so that they can be checked on a machine without it.
