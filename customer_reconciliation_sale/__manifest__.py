{
    "name": "Customer Reconciliation - Sales",
    "summary": "Credit grades of Customer Reconciliation block sales orders over the limit",
    "version": "18.0.1.1.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "customer_reconciliation contributors",
    "website": "https://github.com/customer-reconciliation/customer_reconciliation",
    "depends": ["sale", "customer_reconciliation"],
    "auto_install": True,
}
