import base64
import binascii

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools.misc import format_amount, get_lang

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.customer_statement import HIDDEN_FROM_CUSTOMER_STATES
from .main import XLSX_MIMETYPE

# Attachments a customer may join to a dispute.
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
# Where a refused reply's message waits for the page that shows it.
ERROR_SESSION_KEY = "customer_statement_error"


class CustomerStatementPortal(CustomerPortal):
    """/my/statements: the customer's statements, and their replies."""

    # ------------------------------------------------------------------
    # Home and list
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "statement_count" in counters:
            Statement = request.env["customer.statement"]
            values["statement_count"] = (
                Statement.search_count(self._statement_domain())
                if Statement.has_access("read")
                else 0
            )
        return values

    def _statement_domain(self):
        partner = request.env.user.partner_id
        return [
            ("partner_id", "child_of", [partner.commercial_partner_id.id]),
            ("state", "not in", HIDDEN_FROM_CUSTOMER_STATES),
        ]

    def _statement_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Cut-off"), "order": "date_to desc, id desc"},
            "name": {"label": env._("Number"), "order": "name desc"},
            "state": {"label": env._("Status"), "order": "state, date_to desc"},
        }

    def _statement_filters(self):
        env = request.env
        return {
            "all": {"label": env._("All"), "domain": []},
            "awaiting": {"label": env._("Awaiting your reply"), "domain": [("state", "=", "sent")]},
            "confirmed": {
                "label": env._("Confirmed"),
                "domain": [("state", "in", ("confirmed", "deemed"))],
            },
            "disputed": {"label": env._("Disputed"), "domain": [("state", "=", "disputed")]},
        }

    @http.route(
        ["/my/statements", "/my/statements/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_statements(
        self, page=1, sortby=None, filterby=None, search=None, search_in="name", **kw
    ):
        Statement = request.env["customer.statement"]
        values = self._prepare_portal_layout_values()
        sortings = self._statement_sortings()
        filters = self._statement_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = self._statement_domain() + filters[filterby]["domain"]
        search = (search or "").replace("\x00", "")
        if search:
            domain += [("name", "ilike", search)]
        count = Statement.search_count(domain)
        pager = portal_pager(
            url="/my/statements",
            url_args={"sortby": sortby, "filterby": filterby, "search": search},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        statements = Statement.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_statements_history"] = statements.ids[:100]
        values.update(
            {
                "statements": statements,
                "page_name": "statement",
                "pager": pager,
                "default_url": "/my/statements",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_inputs": {
                    "name": {"input": "name", "label": request.env._("Search in Number")},
                },
                "search_in": search_in,
                "search": search,
            }
        )
        return request.render("customer_reconciliation.portal_my_statements", values)

    # ------------------------------------------------------------------
    # Detail and downloads
    # ------------------------------------------------------------------
    def _statement_check_access(self, statement_id, access_token):
        """The statement as sudo if the visitor may see it; raises otherwise.

        Drafts, statements under review and cancelled ones are never shown
        to customers, with or without a token.
        """
        statement_sudo = self._document_check_access(
            "customer.statement", statement_id, access_token=access_token
        )
        if statement_sudo.state in HIDDEN_FROM_CUSTOMER_STATES:
            raise MissingError(request.env._("This statement does not exist."))
        return statement_sudo

    @http.route(["/my/statements/<int:statement_id>"], type="http", auth="public", website=True)
    def portal_my_statement(
        self,
        statement_id,
        access_token=None,
        report_type=None,
        download=False,
        message=None,
        error=None,
        **kw,
    ):
        try:
            statement_sudo = self._statement_check_access(statement_id, access_token)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=statement_sudo,
                report_type=report_type,
                report_ref="customer_reconciliation.action_report_customer_statement",
                download=download,
            )
        values = self._get_page_view_values(
            statement_sudo,
            access_token,
            {
                "statement": statement_sudo,
                "page_name": "statement",
                # the statement's company letterhead, as sale's portal does
                "res_company": statement_sudo.company_id,
                "message": message,
                "error": error and request.session.pop(ERROR_SESSION_KEY, None),
                "reply_name": (
                    (statement_sudo.contact_id or statement_sudo.partner_id).name
                    if request.env.user._is_public()
                    else request.env.user.name
                ),
                "line_rows": self._statement_line_rows(statement_sudo),
                "dispute_reasons": statement_sudo.env["customer.statement.dispute"]
                ._fields["reason"]
                ._description_selection(request.env),
                "report_type": "html",
            },
            "my_statements_history",
            False,
        )
        return request.render("customer_reconciliation.portal_statement_page", values)

    def _statement_line_rows(self, statement_sudo):
        """The listed lines of the statement, formatted once for the page.

        A statement can list hundreds of lines, shown twice (the table and the
        dispute form): formatting each amount and date through a QWeb field
        widget would cost more than everything else on the page, so the
        values are formatted here with the visitor's language, read once.
        """
        env = request.env
        lang = env["res.lang"].browse(get_lang(env).id)
        date_format = lang.date_format
        digits = statement_sudo.currency_id.decimal_places
        amount_format = f"%.{digits}f"
        # Groups of three digits (nearly every language): Python formats
        # them, then the language's separators replace Python's.
        if lang.grouping.replace(" ", "") in ("[3,0]", "[3]"):
            separators = str.maketrans({",": lang.thousands_sep or "", ".": lang.decimal_point})

            def number(value):
                return f"{value:,.{digits}f}".translate(separators)
        else:

            def number(value):
                return lang.format(amount_format, value, grouping=True)

        def amount(value):
            return number(value) if value else ""

        lines = statement_sudo.env["customer.statement.line"]._fetch_for_customer(statement_sudo)
        rows = []
        for line in lines:
            rows.append(
                {
                    "id": line.id,
                    "in_period": line.in_period,
                    "move_name": line.move_name or "",
                    "ref": line.ref or "",
                    "date": line.date.strftime(date_format) if line.date else "",
                    "date_maturity": (
                        line.date_maturity.strftime(date_format) if line.date_maturity else ""
                    ),
                    "overdue": line.is_overdue,
                    "debit": amount(line.debit),
                    "credit": amount(line.credit),
                    "running_balance": (number(line.running_balance) if line.in_period else ""),
                    "open_amount": amount(line.open_amount),
                    # what a dispute of the line compares: in its own currency
                    "dispute_amount": (
                        format_amount(line.env, line.open_amount_currency, line.currency_id)
                        if line.currency_id and line.currency_id != statement_sudo.currency_id
                        else amount(line.open_amount)
                    ),
                }
            )
        return rows

    @http.route(["/my/statements/<int:statement_id>/xlsx"], type="http", auth="public")
    def portal_statement_xlsx(self, statement_id, access_token=None, **kw):
        try:
            statement_sudo = self._statement_check_access(statement_id, access_token)
        except (AccessError, MissingError):
            raise request.not_found() from None
        Xlsx = request.env["customer.statement.xlsx"].sudo()
        content = Xlsx._build_workbook(statement_sudo)
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(Xlsx._filename(statement_sudo))),
            ],
        )

    # ------------------------------------------------------------------
    # Replies
    # ------------------------------------------------------------------
    def _reply_audit(self, statement_sudo, access_token, content_hash, name=None):
        """Who replies, from where, and which content they saw.

        Only the customer replies here: an employee who opens the customer's
        page (the preview, a forwarded link) records a reply the customer gave
        them from the statement in the back office, where it is marked as
        recorded by staff.
        """
        user = request.env.user
        if user._is_internal():
            raise UserError(
                request.env._(
                    "You are signed in as an employee: record the customer's reply from the "
                    "statement in the back office."
                )
            )
        is_public = user._is_public()
        portal_user = not is_public and statement_sudo.with_user(user).has_access("read")
        return {
            "channel": "portal_user" if portal_user else "token",
            "user_id": False if is_public else user.id,
            "ip_address": request.httprequest.remote_addr,
            "user_agent": request.httprequest.user_agent.string,
            "content_hash": content_hash,
            "name": name or (user.name if not is_public else ""),
        }

    @http.route(
        ["/my/statements/<int:statement_id>/confirm"], type="json", auth="public", website=True
    )
    def portal_statement_confirm(
        self, statement_id, access_token=None, name=None, signature=None, **kw
    ):
        access_token = access_token or request.httprequest.args.get("access_token")
        content_hash = kw.get("hash") or request.httprequest.args.get("hash")
        env = request.env
        if not isinstance(access_token, str | None) or not isinstance(content_hash, str | None):
            return {"error": env._("This statement is not available.")}
        try:
            statement_sudo = self._statement_check_access(statement_id, access_token)
        except (AccessError, MissingError):
            return {"error": env._("This statement is not available.")}
        if not signature or not isinstance(signature, str):
            return {"error": env._("The signature is missing.")}
        if not isinstance(name, str | None):
            return {"error": env._("Give the name of the person who confirms.")}
        try:
            base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return {"error": env._("The signature could not be read.")}
        try:
            # A refused reply leaves nothing behind (the reply row is written
            # before its signature image is checked).
            with env.cr.savepoint():
                statement_sudo.with_context(mail_post_autofollow=False)._record_confirmation(
                    name,
                    signature=signature,
                    audit=self._reply_audit(statement_sudo, access_token, content_hash, name),
                )
        except (UserError, ValidationError) as error:
            return {"error": str(error.args[0])}
        return {
            "force_refresh": True,
            "redirect_url": statement_sudo.get_portal_url(query_string="&message=confirmed"),
        }

    def _dispute_attachments(self, statement_sudo, files):
        files = [f for f in files if f and f.filename]
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                request.env._("Attach at most %(count)s files.", count=MAX_ATTACHMENTS)
            )
        attachments = request.env["ir.attachment"].sudo()
        for upload in files:
            content = upload.read(MAX_ATTACHMENT_SIZE + 1)
            if len(content) > MAX_ATTACHMENT_SIZE:
                raise ValidationError(
                    request.env._("%(name)s is larger than 10 MB.", name=upload.filename)
                )
            attachments |= attachments.create(
                {
                    "name": upload.filename.replace("\x00", "")[:128],
                    "raw": content,
                    "res_model": "customer.statement",
                    "res_id": statement_sudo.id,
                }
            )
        return attachments

    @http.route(
        ["/my/statements/<int:statement_id>/dispute"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_statement_dispute(self, statement_id, access_token=None, **post):
        try:
            statement_sudo = self._statement_check_access(statement_id, access_token)
        except (AccessError, MissingError):
            raise request.not_found() from None
        line_ids = request.httprequest.form.getlist("line_ids")
        files = request.httprequest.files.getlist("attachments")
        try:
            if not all(line_id.isascii() and line_id.isdigit() for line_id in line_ids):
                raise ValidationError(request.env._("The disputed lines are not valid."))
            with request.env.cr.savepoint():
                attachments = self._dispute_attachments(statement_sudo, files)
                statement_sudo._record_dispute(
                    [int(line_id) for line_id in line_ids],
                    post.get("reason"),
                    post.get("customer_amount"),
                    comment=post.get("comment"),
                    audit=self._reply_audit(
                        statement_sudo, access_token, post.get("hash"), post.get("name")
                    ),
                    attachments=attachments,
                )
        except (UserError, ValidationError) as error:
            return request.redirect(
                statement_sudo.get_portal_url(query_string="&" + self._error_query(error))
            )
        return request.redirect(statement_sudo.get_portal_url(query_string="&message=disputed"))

    @http.route(
        ["/my/statements/<int:statement_id>/balance"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_statement_balance(self, statement_id, access_token=None, **post):
        try:
            statement_sudo = self._statement_check_access(statement_id, access_token)
        except (AccessError, MissingError):
            raise request.not_found() from None
        try:
            with request.env.cr.savepoint():
                statement_sudo._record_balance(
                    self._stated_balances(post),
                    comment=post.get("comment"),
                    audit=self._reply_audit(
                        statement_sudo, access_token, post.get("hash"), post.get("name")
                    ),
                )
        except (UserError, ValidationError) as error:
            return request.redirect(
                statement_sudo.get_portal_url(query_string="&" + self._error_query(error))
            )
        return request.redirect(statement_sudo.get_portal_url(query_string="&message=balance"))

    @staticmethod
    def _stated_balances(post):
        """What the balance form says: ``{currency id: amount}`` from one
        ``customer_balance_<currency id>`` field per currency, or the one
        amount of ``customer_balance``."""
        prefix = "customer_balance_"
        stated = {
            key.removeprefix(prefix): value for key, value in post.items() if key.startswith(prefix)
        }
        return stated or post.get("customer_balance")

    @staticmethod
    def _error_query(error):
        """Keep the refusal's text in the session and say so in the URL: a link
        must not carry text the page would show as ours."""
        request.session[ERROR_SESSION_KEY] = str(error.args[0])[:300]
        return "error=1"
