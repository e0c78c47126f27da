{
    "name": "Customer Reconciliation",
    "summary": "Customer statements (对账单) from the receivable ledger, sent by e-mail, "
    "confirmed or disputed by customers on the portal",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "customer_reconciliation contributors",
    "website": "https://github.com/customer-reconciliation/customer_reconciliation",
    "depends": ["account", "mail", "portal"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/customer_reconciliation_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/customer_statement_policy_data.xml",
        "data/mail_activity_type_data.xml",
        "report/customer_statement_report.xml",
        "report/customer_statement_templates.xml",
        "data/mail_template_data.xml",
        "wizards/customer_statement_generate_views.xml",
        "wizards/customer_statement_confirm_views.xml",
        "views/customer_statement_views.xml",
        "views/customer_statement_dispute_views.xml",
        "views/customer_statement_portal_templates.xml",
        "views/customer_statement_policy_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/customer_reconciliation_menus.xml",
    ],
    "demo": [
        "demo/customer_statement_policy_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "customer_reconciliation/static/tests/tours/*.js",
        ],
        "web.report_assets_common": [
            "customer_reconciliation/static/src/scss/report_statement.scss",
        ],
    },
    "installable": True,
    "application": False,
}
