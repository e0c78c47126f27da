"""Chinese sample ledger for the customer_reconciliation demo database.

Builds, with the ORM, a trading company in CNY on the Chinese chart of
accounts, about thirty monthly-settlement (月结) customers, six months of
posted invoices, credit notes and payments up to the end of last month, one
customer in EUR (with an exchange difference), a badly overdue customer, and
the statements of the last two completed periods.

Run it after ``customer_reconciliation`` and ``l10n_cn`` are installed::

    python3 scripts/demo_data.py -d customer_reconciliation_demo \
        --addons-path <odoo addons>,<repository root>

or feed it to ``odoo-bin shell -d <db>`` on its standard input. Running it
again changes nothing: every record is looked up before it is created, and
the ledger is only built when the company has none.
"""

import argparse
import random
import sys
import time
from datetime import date, timedelta

COMPANY_NAME = "上海示例贸易有限公司"
# Portal logins (login = password) of two customers' accountants, so that a
# newcomer can try the customer's side: (customer ref, contact, login).
PORTAL_USERS = [
    ("CRD-01", "王丽", "hengtong"),
    ("CRD-04", "赵敏", "huachen"),
]
MARKER_KEY = "customer_reconciliation.demo_ledger_end"
MONTHS = 6

# Rates of the EUR for the company, in EUR per CNY, by month offset from the
# first month of the ledger (the ledger's months are 0..5).
EUR_RATES = {
    -3: 0.1228,
    -1: 0.1221,
    0: 0.1218,
    1: 0.1231,
    2: 0.1242,
    3: 0.1236,
    4: 0.1249,
    5: 0.1256,
}

PRODUCTS = [
    # default code, name, unit price, VAT rate
    ("CR-BOLT-M8", "不锈钢六角螺栓 M8×30（盒）", 45.0, 13),
    ("CR-STEEL-10", "镀锌钢板 1.0mm（吨）", 5600.0, 13),
    ("CR-ALU-6063", "铝合金型材 6063（米）", 28.5, 13),
    ("CR-OIL-46", "工业润滑油 46号（桶）", 860.0, 13),
    ("CR-BOX-5L", "五层瓦楞纸箱（个）", 6.8, 13),
    ("CR-FILM-PE", "PE 缠绕膜（卷）", 38.0, 13),
    ("CR-VALVE", "气动电磁阀（个）", 320.0, 13),
    ("CR-CONTACTOR", "交流接触器（个）", 185.0, 13),
    ("CR-GLOVES", "安全防护手套（打）", 42.0, 13),
    ("CR-SERVICE", "设备技术服务费", 2000.0, 6),
    ("CR-FREIGHT", "运输服务费", 500.0, 9),
]

# ref, name, province code, city, profile, policy, payment term, size
# profile: prompt | late | partial | credit | overdue | new | eur
CUSTOMERS = [
    ("CRD-01", "苏州恒通精密机械有限公司", "JS", "苏州", "prompt", "month", "m30", 3.0),
    ("CRD-02", "杭州云帆电子科技有限公司", "ZJ", "杭州", "credit", "month", "m30", 2.0),
    ("CRD-03", "宁波海润进出口有限公司", "ZJ", "宁波", "late", "month", "m60", 2.5),
    ("CRD-04", "无锡华晨纺织有限公司", "JS", "无锡", "partial", "month", "m30", 1.5),
    ("CRD-05", "南京金陵建材有限公司", "JS", "南京", "prompt", "cutoff25", "m30", 2.0),
    ("CRD-06", "上海浦江食品有限公司", "SH", "上海", "prompt", "month", "m30", 1.0),
    ("CRD-07", "深圳前海新能源科技有限公司", "GD", "深圳", "late", "month", "m30", 3.0),
    ("CRD-08", "广州穗丰五金制品有限公司", "GD", "广州", "credit", "cutoff25", "m30", 1.5),
    ("CRD-09", "东莞立信塑胶制品有限公司", "GD", "东莞", "prompt", "month", "m30", 1.0),
    ("CRD-10", "佛山顺德美居家具有限公司", "GD", "佛山", "partial", "month", "m60", 2.0),
    ("CRD-11", "厦门鹭岛包装材料有限公司", "FJ", "厦门", "prompt", "month", "m30", 0.8),
    ("CRD-12", "青岛海川化工有限公司", "SD", "青岛", "late", "cutoff25", "m30", 2.0),
    ("CRD-13", "天津津港物流有限公司", "TJ", "天津", "prompt", "month", "net30", 1.2),
    ("CRD-14", "北京中关村智联信息技术有限公司", "BJ", "北京", "credit", "month", "m30", 1.0),
    ("CRD-15", "成都天府餐饮管理有限公司", "SC", "成都", "new", "month", "m30", 0.6),
    ("CRD-16", "重庆山城汽车配件有限公司", "CQ", "重庆", "late", "month", "m60", 2.5),
    ("CRD-17", "武汉江城医疗器械有限公司", "HB", "武汉", "prompt", "month", "m30", 1.5),
    ("CRD-18", "长沙湘江印务有限公司", "HN", "长沙", "partial", "cutoff25", "m30", 1.0),
    ("CRD-19", "合肥徽商办公用品有限公司", "AH", "合肥", "prompt", "month", "net30", 0.5),
    ("CRD-20", "济南泉城机电设备有限公司", "SD", "济南", "late", "month", "m30", 1.8),
    ("CRD-21", "郑州中原粮油贸易有限公司", "HA", "郑州", "prompt", "month", "m30", 1.2),
    ("CRD-22", "西安古城文化传媒有限公司", "SN", "西安", "new", "month", "m30", 0.7),
    ("CRD-23", "昆明春城花卉有限公司", "YN", "昆明", "partial", "month", "net30", 0.6),
    ("CRD-24", "福州闽江茶业有限公司", "FJ", "福州", "prompt", "month", "m30", 0.9),
    ("CRD-25", "温州瓯江鞋业有限公司", "ZJ", "温州", "late", "month", "m30", 1.3),
    ("CRD-26", "嘉兴南湖服饰有限公司", "ZJ", "嘉兴", "prompt", "cutoff25", "m30", 1.1),
    ("CRD-27", "常州龙城电线电缆有限公司", "JS", "常州", "credit", "month", "m60", 2.2),
    ("CRD-28", "绍兴柯桥纺织品贸易有限公司", "ZJ", "绍兴", "prompt", "month", "m30", 1.4),
    ("CRD-29", "大连星海水产有限公司", "LN", "大连", "overdue", "month", "net30", 1.5),
    ("CRD-30", "Rhein Handel GmbH", None, "Düsseldorf", "eur", "month", "net30", 1.0),
]

# contacts of some customers: name, job; the first one receives the invoices
CONTACTS = {
    "CRD-01": [("王丽", "财务经理")],
    "CRD-02": [("陈静", "应付会计"), ("刘洋", "采购主管")],
    "CRD-04": [("赵敏", "财务")],
    "CRD-06": [("孙悦", "出纳")],
    "CRD-08": [("黄伟", "财务主管")],
    "CRD-11": [("林芳", "会计")],
    "CRD-14": [("周婷", "财务总监")],
    "CRD-16": [("吴刚", "财务经理")],
    "CRD-20": [("郑磊", "会计主管")],
    "CRD-24": [("何琳", "财务")],
    "CRD-28": [("钱红", "出纳")],
    "CRD-29": [("马俊", "总经理")],
    "CRD-30": [("Anna Schmidt", "Buchhaltung")],
}

# A stand-in for the scan of a signed and stamped reply slip (a 1×1 PNG).
SIGNED_SLIP = (
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmM"
    b"IQAAAABJRU5ErkJggg=="
)

PAYMENT_TERMS = {
    "m30": ("月结30天", "days_after_end_of_month", 30),
    "m60": ("月结60天", "days_after_end_of_month", 60),
    "net30": ("发票后30天", "days_after", 30),
}


STARTED = time.monotonic()


def log(message):
    print(f"demo [{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def month_start(day, offset=0):
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def month_end(day, offset=0):
    return month_start(day, offset + 1) - timedelta(days=1)


class DemoBuilder:
    def __init__(self, env):
        self.env = env(
            context=dict(
                env.context,
                lang="en_US",
                tracking_disable=True,
                mail_create_nolog=True,
                mail_notrack=True,
                no_reset_password=True,
            )
        )
        self.today = date.today()
        self.ledger_end = month_end(self.today, -1)
        self.ledger_start = month_start(self.today, -MONTHS)
        self.counts = {}

    # ------------------------------------------------------------------
    def run(self):
        env = self.env
        log(f"ledger from {self.ledger_start} to {self.ledger_end} (today is {self.today})")
        self.setup_admin_password()
        self.company = self.setup_company()
        self.setup_admin_company()
        self.setup_currency()
        self.terms = self.setup_payment_terms()
        self.policies = self.setup_policies()
        self.products = self.setup_products()
        self.customers = self.setup_customers()
        if self.ledger_exists():
            log("ledger already built: nothing to post")
        else:
            self.build_ledger()
        self.generate_statements()
        Parameter = env["ir.config_parameter"].sudo()
        if not Parameter.get_param(MARKER_KEY):
            Parameter.set_param(MARKER_KEY, self.ledger_end.isoformat())
        env.cr.commit()
        log("done, committed")

    # ------------------------------------------------------------------
    # Company, users, currencies, products, customers
    # ------------------------------------------------------------------
    def setup_admin_password(self):
        admin = self.env.ref("base.user_admin")
        admin.password = "admin"
        log(f"user '{admin.login}' has the password 'admin'")

    def setup_company(self):
        env = self.env
        company = env["res.company"].search([("name", "=", COMPANY_NAME)], limit=1)
        if not company:
            # chart_template_load: no automatic chart at commit, it is loaded below;
            # iap_enrich_auto_done: no look-up of the sample company on the Internet
            company = (
                env["res.company"]
                .with_context(chart_template_load=True)
                .create(
                    {
                        "name": COMPANY_NAME,
                        "iap_enrich_auto_done": True,
                        "country_id": env.ref("base.cn").id,
                        "currency_id": env.ref("base.CNY").id,
                        "state_id": env.ref("base.state_cn_SH").id,
                        "city": "上海",
                        "street": "浦东新区世纪大道 100 号 18 楼",
                        "zip": "200120",
                        "phone": "+86 21 5888 0000",
                        "email": "finance@shanghai-demo.example.com",
                    }
                )
            )
            log(f"created company {COMPANY_NAME}")
        else:
            log(f"company {COMPANY_NAME} exists")
        if company.chart_template != "cn":
            env["account.chart.template"].try_loading("cn", company=company, install_demo=False)
            log("loaded the Chinese chart of accounts (cn)")
        if company.currency_id != env.ref("base.CNY"):
            raise RuntimeError(f"{COMPANY_NAME} is not in CNY ({company.currency_id.name})")
        if not company.external_report_layout_id:
            company.external_report_layout_id = env.ref("web.external_layout_standard")
        if not company.partner_id.tz:
            # cut-offs and deadlines count in Shanghai's days, also for the scheduler
            company.partner_id.tz = "Asia/Shanghai"
        return company

    def setup_admin_company(self):
        admin = self.env.ref("base.user_admin")
        admin.write(
            {
                "company_ids": [(4, self.company.id)],
                "company_id": self.company.id,
                "tz": admin.tz or "Asia/Shanghai",
            }
        )
        log(f"admin works in {self.company.name}")

    def setup_currency(self):
        eur = self.env.ref("base.EUR")
        if not eur.active:
            eur.active = True
            log("activated EUR")
        Rate = self.env["res.currency.rate"]
        created = 0
        for offset, rate in sorted(EUR_RATES.items()):
            day = month_start(self.ledger_start, offset)
            if not Rate.search_count(
                [
                    ("currency_id", "=", eur.id),
                    ("company_id", "=", self.company.id),
                    ("name", "=", day),
                ]
            ):
                Rate.create(
                    {
                        "currency_id": eur.id,
                        "company_id": self.company.id,
                        "name": day,
                        "rate": rate,
                    }
                )
                created += 1
        if created:
            log(f"created {created} EUR rates for the company")
        self.eur = eur

    def setup_payment_terms(self):
        Term = self.env["account.payment.term"]
        terms = {}
        for key, (name, delay_type, days) in PAYMENT_TERMS.items():
            term = Term.search([("name", "=", name), ("company_id", "=", self.company.id)], limit=1)
            if not term:
                term = Term.create(
                    {
                        "name": name,
                        "company_id": self.company.id,
                        "line_ids": [
                            (
                                0,
                                0,
                                {
                                    "value": "percent",
                                    "value_amount": 100.0,
                                    "delay_type": delay_type,
                                    "nb_days": days,
                                },
                            )
                        ],
                    }
                )
                log(f"created payment term {name}")
            terms[key] = term
        return terms

    def setup_policies(self):
        Policy = self.env["customer.statement.policy"].with_company(self.company)
        specs = {
            "month": {
                "name": "月结 · 月末对账（Monthly, month-end cut-off）",
                "frequency": "monthly",
                "cutoff_day": 31,
                "reply_days": 10,
                "confirmation_mode": "positive",
            },
            "cutoff25": {
                "name": "月结 · 每月25日对账（Monthly, 25th cut-off）",
                "frequency": "monthly",
                "cutoff_day": 25,
                "reply_days": 7,
                "confirmation_mode": "balance",
                "review_required": True,
            },
        }
        policies = {}
        for key, values in specs.items():
            policy = Policy.search(
                [("name", "=", values["name"]), ("company_id", "=", self.company.id)], limit=1
            )
            if not policy:
                policy = Policy.create(dict(values, company_id=self.company.id))
                log(f"created policy {values['name']}")
            policies[key] = policy
        if self.company.statement_default_policy_id != policies["month"]:
            self.company.statement_default_policy_id = policies["month"]
        return policies

    def _sale_tax(self, rate):
        return self.env["account.tax"].search(
            [
                ("company_id", "=", self.company.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", rate),
            ],
            limit=1,
        )

    def setup_products(self):
        Product = self.env["product.product"].with_company(self.company)
        products = []
        created = 0
        for code, name, price, vat in PRODUCTS:
            product = Product.search(
                [("default_code", "=", code), ("company_id", "=", self.company.id)], limit=1
            )
            if not product:
                tax = self._sale_tax(vat) or self.company.account_sale_tax_id
                product = Product.create(
                    {
                        "name": name,
                        "default_code": code,
                        "type": "service" if vat != 13 else "consu",
                        "list_price": price,
                        "company_id": self.company.id,
                        "taxes_id": [(6, 0, tax.ids)],
                    }
                )
                created += 1
            products.append(product)
        if created:
            log(f"created {created} products")
        return products

    def setup_customers(self):
        env = self.env
        Partner = env["res.partner"].with_company(self.company)
        admin = env.ref("base.user_admin")
        customers = []
        created = 0
        for index, spec in enumerate(CUSTOMERS, start=1):
            ref, name, province, city, profile, policy, term, size = spec
            contacts = CONTACTS.get(ref, [])
            partner = Partner.search(
                [("ref", "=", ref), ("company_id", "=", self.company.id)], limit=1
            )
            if not partner:
                foreign = profile == "eur"
                domain = f"c{index:02d}.example.com"
                partner = Partner.create(
                    {
                        "name": name,
                        "ref": ref,
                        "is_company": True,
                        "company_id": self.company.id,
                        "country_id": env.ref("base.de" if foreign else "base.cn").id,
                        "state_id": province and env.ref(f"base.state_cn_{province}").id,
                        "city": city,
                        "street": "Königsallee 12" if foreign else f"{city}市工业园区 {index} 号",
                        "email": f"finance@{domain}",
                        "phone": "+49 211 000000" if foreign else f"+86 400 800 {index:04d}",
                        "lang": "en_US" if foreign else "zh_CN",
                        "customer_rank": 1,
                        "user_id": admin.id,
                    }
                )
                for number, (contact, function) in enumerate(contacts, start=1):
                    Partner.create(
                        {
                            "name": contact,
                            "parent_id": partner.id,
                            "type": "invoice" if number == 1 else "contact",
                            "function": function,
                            "company_id": self.company.id,
                            "email": f"contact{number}@{domain}",
                            "lang": partner.lang,
                        }
                    )
                created += 1
            company_partner = partner.with_company(self.company)
            values = {}
            if company_partner.statement_policy_id != self.policies[policy]:
                values["statement_policy_id"] = self.policies[policy].id
            if company_partner.property_payment_term_id != self.terms[term]:
                values["property_payment_term_id"] = self.terms[term].id
            contact = partner.child_ids[:1]
            if contact and partner.statement_contact_id != contact:
                values["statement_contact_id"] = contact.id
            if partner.statement_user_id != admin:
                values["statement_user_id"] = admin.id
            if values:
                company_partner.write(values)
            customers.append(
                {
                    "partner": partner,
                    "profile": profile,
                    "size": size,
                    "term": self.terms[term],
                    "currency": self.eur if profile == "eur" else self.company.currency_id,
                    "rng": random.Random(f"{ref}-{profile}"),
                }
            )
        log(
            f"{len(customers)} customers ({created} created), "
            f"{len(CONTACTS)} with contacts, "
            f"{sum(1 for c in CUSTOMERS if c[5] == 'cutoff25')} on the 25th cut-off"
        )
        return customers

    # ------------------------------------------------------------------
    # Ledger
    # ------------------------------------------------------------------
    def ledger_exists(self):
        return bool(
            self.env["account.move"].search_count(
                [
                    ("company_id", "=", self.company.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("commercial_partner_id.ref", "=like", "CRD-%"),
                ],
                limit=1,
            )
        )

    def build_ledger(self):
        """Plan every document, then create them in date order."""
        events = []  # (date, order, kind, data)
        for customer in self.customers:
            events += self.plan_customer(customer)
        events.sort(key=lambda event: (event[0], event[1]))
        self.journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], limit=1
        )
        self.bank = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")], limit=1
        )
        self.documents = {}
        batch = []  # invoices of one day are created and posted together
        for day, _order, kind, data in events:
            if batch and (kind != "invoice" or batch[0][0] != day):
                self.do_invoices(batch)
                batch = []
            if kind == "invoice":
                batch.append((day, data))
            else:
                getattr(self, f"do_{kind}")(day, data)
        if batch:
            self.do_invoices(batch)
        self.env.flush_all()
        log(
            "posted {out_invoice} invoices, {out_refund} credit notes, "
            "{payment} payments ({partial} partial)".format(
                **{
                    k: self.counts.get(k, 0)
                    for k in ("out_invoice", "out_refund", "payment", "partial")
                }
            )
        )

    def plan_customer(self, customer):
        """The documents of one customer, as events; nothing is created here."""
        rng = customer["rng"]
        profile = customer["profile"]
        partner = customer["partner"]
        ref = partner.ref
        events = []
        first_month = 4 if profile == "new" else 0
        if profile == "overdue":
            # an old debt carried over from before the ledger's six months
            day = month_start(self.ledger_start, -4) + timedelta(days=9)
            events.append((day, 0, "invoice", self.plan_invoice(customer, f"{ref}-OLD", day)))
        for month in range(first_month, MONTHS):
            start = month_start(self.ledger_start, month)
            end = month_end(self.ledger_start, month)
            keys = []
            for number in range(rng.randint(1, 3)):
                day = start + timedelta(days=rng.randint(0, (end - start).days))
                key = f"{ref}-{month}-{number}"
                events.append((day, 0, "invoice", self.plan_invoice(customer, key, day)))
                keys.append((day, key))
            keys.sort()
            if profile == "credit" and month in (1, 3) and keys:
                day, key = keys[0]
                events.append(
                    (
                        day + timedelta(days=5),
                        1,
                        "refund",
                        {"customer": customer, "key": f"{key}-R", "origin": key, "share": 0.08},
                    )
                )
            if profile == "credit" and month == 4:
                events.append(
                    (
                        end - timedelta(days=2),
                        1,
                        "refund",
                        {
                            "customer": customer,
                            "key": f"{ref}-{month}-R",
                            "origin": None,
                            "amount": round(800 * customer["size"], 2),
                        },
                    )
                )
            payment = self.plan_payment(customer, month, [key for _day, key in keys])
            if payment:
                events.append(payment)
        return events

    def plan_invoice(self, customer, key, day):
        rng = customer["rng"]
        lines = []
        if customer["profile"] == "eur":
            for product in rng.sample(self.products[2:9], rng.randint(1, 2)):
                quantity = rng.randint(5, 40) * (1 if product.list_price >= 300 else 10)
                price = round(product.list_price * 0.13 * rng.uniform(0.9, 1.1), 2)
                lines.append((product, quantity, price, False))
        else:
            for product in rng.sample(self.products, rng.randint(1, 3)):
                if product.list_price >= 2000:
                    quantity = rng.randint(1, 3)
                elif product.list_price >= 300:
                    quantity = rng.randint(2, 12)
                else:
                    quantity = rng.randint(20, 300)
                quantity = max(1, round(quantity * customer["size"]))
                price = round(product.list_price * rng.uniform(0.92, 1.08), 2)
                lines.append((product, quantity, price, True))
        return {"customer": customer, "key": key, "lines": lines, "date": day}

    def plan_payment(self, customer, month, keys):
        """One settlement per month of invoices, per the customer's habits."""
        rng = customer["rng"]
        profile = customer["profile"]
        if not keys:
            return None
        invoice_month_end = month_end(self.ledger_start, month)
        term = customer["term"].line_ids[:1]
        if term.delay_type == "days_after_end_of_month":
            due = invoice_month_end + timedelta(days=term.nb_days)
        else:
            due = invoice_month_end + timedelta(days=term.nb_days - 10)
        share = None
        if profile in ("prompt", "credit", "new"):
            day = due + timedelta(days=rng.randint(-5, 3))
        elif profile == "late":
            day = due + timedelta(days=rng.randint(15, 40))
        elif profile == "partial":
            day = due + timedelta(days=rng.randint(0, 10))
            share = rng.choice((0.5, 0.6, 0.7, 0.8))
        elif profile == "overdue":
            if month != 0:
                return None
            day = due + timedelta(days=20)
            share = 0.4
        elif profile == "eur":
            day = due + timedelta(days=rng.randint(10, 25))
        else:
            return None
        if day > self.ledger_end:
            return None
        return (day, 2, "payment", {"customer": customer, "keys": keys, "share": share})

    def _move_vals(self, customer, move_type, day, lines, ref):
        partner = customer["partner"]
        contacts = partner.child_ids.filtered(lambda p: p.type == "invoice")
        # invoices of customers with an invoice contact are addressed to it
        invoice_partner = contacts[:1] or partner
        return {
            "move_type": move_type,
            "partner_id": invoice_partner.id,
            "invoice_date": day,
            "date": day,
            "journal_id": self.journal.id,
            "company_id": self.company.id,
            "currency_id": customer["currency"].id,
            "invoice_payment_term_id": customer["term"].id if move_type == "out_invoice" else False,
            "ref": ref,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "name": product.name,
                        "quantity": quantity,
                        "price_unit": price,
                        "tax_ids": [
                            (
                                6,
                                0,
                                product.taxes_id.filtered(
                                    lambda t: t.company_id == self.company
                                ).ids
                                if taxed
                                else [],
                            )
                        ],
                    },
                )
                for product, quantity, price, taxed in lines
            ],
        }

    def do_invoices(self, batch):
        vals_list = []
        for day, data in batch:
            number = len(self.documents) + len(vals_list) + 1
            vals_list.append(
                self._move_vals(
                    data["customer"],
                    "out_invoice",
                    day,
                    data["lines"],
                    f"PO-{day:%Y%m}-{number:04d}",
                )
            )
        moves = self.env["account.move"].with_company(self.company).create(vals_list)
        moves.action_post()
        for (_day, data), move in zip(batch, moves, strict=True):
            self.documents[data["key"]] = move
        self.counts["out_invoice"] = self.counts.get("out_invoice", 0) + len(moves)

    def do_refund(self, day, data):
        customer = data["customer"]
        origin = self.documents.get(data["origin"]) if data.get("origin") else None
        product = self.products[4]
        if origin:
            amount = round(origin.amount_untaxed * data["share"], 2)
            ref = f"退货 {origin.name}"
            lines = [(product, 1, amount, True)]
        else:
            ref = "价格折让"
            lines = [(product, 1, data["amount"], True)]
        vals = self._move_vals(customer, "out_refund", day, lines, ref)
        if origin:
            vals["reversed_entry_id"] = origin.id
        move = self.env["account.move"].with_company(self.company).create(vals)
        move.action_post()
        if origin:
            (origin.line_ids | move.line_ids).filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ).reconcile()
        self.documents[data["key"]] = move
        self.counts["out_refund"] = self.counts.get("out_refund", 0) + 1

    def do_payment(self, day, data):
        customer = data["customer"]
        invoices = (
            self.env["account.move"]
            .concat(*(self.documents[key] for key in data["keys"]))
            .filtered(lambda move: move.amount_residual > 0)
        )
        if not invoices:
            return
        residual = sum(invoices.mapped("amount_residual"))
        share = data["share"]
        amount = customer["currency"].round(residual * share) if share else residual
        wizard = (
            self.env["account.payment.register"]
            .with_company(self.company)
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "payment_date": day,
                    "journal_id": self.bank.id,
                    "currency_id": customer["currency"].id,
                    "amount": amount,
                    "group_payment": True,
                    "payment_difference_handling": "open",
                    "communication": f"{customer['partner'].name} {day:%Y年%m月}货款",
                }
            )
        )
        wizard._create_payments()
        self.counts["payment"] = self.counts.get("payment", 0) + 1
        if share:
            self.counts["partial"] = self.counts.get("partial", 0) + 1

    # ------------------------------------------------------------------
    # Statements
    # ------------------------------------------------------------------
    def generate_statements(self):
        """Last completed period: drafts. The period before: sent, some answered."""
        admin = self.env.ref("base.user_admin")
        env = self.env(
            user=admin.id,
            context=dict(self.env.context, allowed_company_ids=[self.company.id]),
        )
        Statement = env["customer.statement"].with_company(self.company)
        Partner = env["res.partner"].with_company(self.company)
        self.reviewer = self.setup_reviewer()
        self.portal_users = self.setup_portal_users()
        portal_partners = Partner.browse(
            [u.partner_id.commercial_partner_id.id for u in self.portal_users.values()]
        )
        previous_statements = Statement.browse()
        for policy in self.policies.values():
            policy = policy.with_env(env)
            partners = Partner.search([("statement_policy_id", "=", policy.id)])
            date_from, date_to = policy._last_complete_period(self.today)
            prev_from, prev_to = policy._last_complete_period(date_from - timedelta(days=1))
            previous = partners.filtered(lambda p, d=prev_to: self._has_ledger_before(p, d))
            if previous:
                sent = Statement.generate_statements(
                    previous.ids, prev_from, prev_to, company_id=self.company.id
                )
                self._send(sent)
                self._report(policy, prev_from, prev_to, sent)
                previous_statements |= sent
            statements = Statement.generate_statements(
                partners.ids, date_from, date_to, company_id=self.company.id
            )
            # The portal customers' latest statements await their reply.
            self._send(statements.filtered(lambda s: s.partner_id in portal_partners))
            self._report(policy, date_from, date_to, statements)
        self._answer(previous_statements)

    def setup_reviewer(self):
        """A second back-office user, so that reviewed statements can be approved."""
        group = self.env.ref("customer_reconciliation.group_statement_reviewer")
        Users = self.env["res.users"].with_context(active_test=False)
        user = Users.search([("login", "=", "wang.qiang")], limit=1)
        if not user:
            user = Users.create(
                {
                    "name": "王强",
                    "login": "wang.qiang",
                    "password": "wang.qiang",
                    "email": "wang.qiang@shanghai-demo.example.com",
                    "company_id": self.company.id,
                    "company_ids": [(6, 0, self.company.ids)],
                    "groups_id": [(6, 0, [self.env.ref("base.group_user").id, group.id])],
                    "tz": "Asia/Shanghai",
                }
            )
            log("created the reviewer wang.qiang (password wang.qiang)")
        return user

    def setup_portal_users(self):
        """Portal logins for the accountants of two customers."""
        Users = self.env["res.users"].with_context(active_test=False)
        portal = self.env.ref("base.group_portal")
        users = {}
        for ref, contact_name, login in PORTAL_USERS:
            customer = next(
                (c["partner"] for c in self.customers if c["partner"].ref == ref),
                self.env["res.partner"],
            )
            if not customer:
                continue
            contact = customer.child_ids.filtered(lambda c, n=contact_name: c.name == n)[:1]
            user = Users.search([("login", "=", login)], limit=1)
            if not user:
                user = Users.create(
                    {
                        "name": contact_name,
                        "login": login,
                        "password": login,
                        "partner_id": contact.id if contact else False,
                        "company_id": self.company.id,
                        "company_ids": [(6, 0, self.company.ids)],
                        "groups_id": [(6, 0, portal.ids)],
                    }
                )
                if not contact:
                    user.partner_id.parent_id = customer
                log(f"portal login {login} / {login}: {contact_name}, {customer.name}")
            users[ref] = user
        return users

    @staticmethod
    def _signature_png(name):
        """A hand-signature-like PNG of ``name``, base64, as the portal widget sends."""
        import base64
        import io

        from PIL import Image, ImageDraw, ImageFont

        image = Image.new("RGBA", (420, 140), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default()
        for path in (
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
        ):
            try:
                font = ImageFont.truetype(path, 72)
                break
            except OSError:
                continue
        draw.text((20, 20), name, fill=(20, 20, 80, 255), font=font)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    def _portal_audit(self, ref, statement):
        user = self.portal_users.get(ref)
        return {
            "channel": "portal_user" if user else "staff",
            "user_id": user.id if user else self.env.ref("base.user_admin").id,
            "ip_address": "127.0.0.1",
            "user_agent": "Mozilla/5.0 (demo data)",
            "content_hash": statement.content_hash,
            "name": user.name if user else "",
        }

    def _send(self, statements):
        """Freeze statements as sent (no e-mail), through review when required."""
        drafts = statements.filtered(lambda s: s.state in ("draft", "to_review"))
        if not drafts:
            return
        to_review = drafts.filtered(lambda s: s.state == "draft" and s.review_required)
        if to_review:
            to_review.action_submit_review()
            to_review.with_user(self.reviewer).action_approve()
        drafts.action_mark_sent()

    def _answer(self, statements):
        """Customers' replies to sent statements: confirmations and a dispute.

        Every step must succeed: a demo without the replies the README
        promises is not ready.
        """
        by_ref = {s.partner_id.ref: s for s in statements if s.state == "sent"}
        admin = self.env.ref("base.user_admin")
        statement = by_ref.get("CRD-01")
        if statement is not None:
            user = self.portal_users.get("CRD-01")
            statement._record_confirmation(
                user.name if user else "王丽",
                signature=self._signature_png(user.name if user else "王丽"),
                audit=self._portal_audit("CRD-01", statement),
            )
            log(f"{statement.partner_id.name}: {statement.name} confirmed on the portal")
        statement = by_ref.get("CRD-06")
        if statement is not None:
            contact = statement.contact_id or statement.partner_id
            self.env["customer.statement.confirm"].with_user(admin).with_company(
                self.company
            ).create(
                {
                    "statement_id": statement.id,
                    "signed_by": contact.name,
                    "scan": SIGNED_SLIP,
                    "scan_name": f"{statement.name} 回执扫描件（示例）.png",
                    "note": "客户财务已盖章回传。",
                }
            ).action_record()
            log(f"{statement.partner_id.name}: {statement.name} confirmed (signed slip)")
        statement = by_ref.get("CRD-05")
        if statement is not None:
            statement._record_balance(
                statement.closing_balance,
                comment="余额核对一致。",
                audit={
                    "channel": "staff",
                    "user_id": admin.id,
                    "content_hash": statement.content_hash,
                    "name": "财务部",
                },
            )
            log(f"{statement.partner_id.name}: {statement.name} balance stated ({statement.state})")
        statement = by_ref.get("CRD-04")
        if statement is not None:
            lines = statement.line_ids.filtered(lambda line: line.open_amount > 0)[:1]
            if lines:
                statement._record_dispute(
                    lines.ids,
                    "already_paid",
                    0.0,
                    comment="该笔货款我司已于上月通过银行转账支付，请核对收款记录。",
                    audit=self._portal_audit("CRD-04", statement),
                )
                log(f"{statement.partner_id.name}: {statement.name} disputed (already paid)")

    def _has_ledger_before(self, partner, day):
        return bool(
            self.env["account.move.line"].search_count(
                [
                    ("company_id", "=", self.company.id),
                    ("partner_id", "child_of", partner.id),
                    ("parent_state", "=", "posted"),
                    ("date", "<=", day),
                ],
                limit=1,
            )
        )

    def _report(self, policy, date_from, date_to, statements):
        by_state = {}
        for statement in statements:
            by_state[statement.state] = by_state.get(statement.state, 0) + 1
        states = ", ".join(f"{count} {state}" for state, count in sorted(by_state.items()))
        log(
            f"statements {date_from} – {date_to} ({policy.name}): {len(statements)} "
            f"[{states}], closing {sum(statements.mapped('closing_balance')):,.2f}, "
            f"overdue {sum(statements.mapped('overdue_amount')):,.2f} CNY"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--addons-path", required=True)
    args = parser.parse_args(argv)

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        ["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"],
        setup_logging=True,
    )
    registry = odoo.modules.registry.Registry(args.database)
    installed = ("customer_reconciliation", "l10n_cn")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        missing = [
            name
            for name in installed
            if env["ir.module.module"].search_count(
                [("name", "=", name), ("state", "=", "installed")]
            )
            == 0
        ]
        if missing:
            print(f"demo: not installed in {args.database}: {', '.join(missing)}", file=sys.stderr)
            return 1
        DemoBuilder(env).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
elif "env" in globals():  # inside ``odoo-bin shell``
    DemoBuilder(env).run()  # noqa: F821
