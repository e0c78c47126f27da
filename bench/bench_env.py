"""Open Odoo on a benchmark database from a plain Python process.

Shared by ``build_ledger.py`` and ``run_bench.py``. The addons path is found
at run time: Odoo's own addons, this repository, and the directory where pip
put the OCA addons (``odoo/addons`` in site-packages, part of the
``odoo.addons`` namespace package).
"""

import contextlib
import logging
import os
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_MODULES = ["account", "l10n_cn", "customer_reconciliation", "partner_statement"]
OCA_MODULES = ("partner_statement", "report_xlsx", "report_xlsx_helper")

_logger = logging.getLogger("bench")


def odoo_addons_dirs():
    """Odoo's own addons directories (package layout or source checkout)."""
    package = os.path.abspath(odoo.__path__[0])
    dirs = [os.path.join(package, "addons")]
    if not os.path.isdir(os.path.join(dirs[0], "account")):
        dirs.append(os.path.join(os.path.dirname(package), "addons"))
    return dirs


def oca_addons_dir():
    """Directory holding the pip-installed OCA addons, or None.

    pip installs them under ``odoo/addons`` of site-packages, which the
    ``odoo.addons`` namespace package extends its path with.
    """
    import odoo.addons

    candidates = list(odoo.addons.__path__) + [
        os.path.join(entry, "odoo", "addons") for entry in sys.path if entry
    ]
    for path in candidates:
        if all(os.path.isdir(os.path.join(path, name)) for name in OCA_MODULES):
            return os.path.abspath(path)
    return None


def addons_path():
    dirs = odoo_addons_dirs() + [REPO_ROOT]
    oca = oca_addons_dir()
    if oca and oca not in dirs:
        dirs.append(oca)
    return ",".join(dirs)


def configure(dbname, log_level="warn", extra=()):
    """Parse Odoo's configuration for ``dbname`` (Unix socket, no HTTP)."""
    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    config.parse_config(
        [
            "-d",
            dbname,
            "--addons-path",
            addons_path(),
            "--without-demo",
            "all",
            "--log-level",
            log_level,
            "--no-http",
            *extra,
        ]
    )


def database_exists(dbname):
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        return bool(cr.fetchone())


def drop_database(dbname):
    if database_exists(dbname):
        odoo.service.db.exp_drop(dbname)


def install(dbname, modules):
    """Create ``dbname`` if needed and install ``modules`` (and base)."""
    try:
        odoo.service.db._create_empty_database(dbname)
        config["init"]["base"] = True
    except odoo.service.db.DatabaseExists:
        pass
    for module in modules:
        config["init"][module] = True
    Registry.new(dbname, update_module=True)
    config["init"].clear()


def update(dbname, modules):
    """Upgrade ``modules`` on ``dbname`` (after their code changed)."""
    for module in modules:
        config["update"][module] = True
    Registry.new(dbname, update_module=True)
    config["update"].clear()


def registry(dbname):
    return Registry(dbname)


@contextlib.contextmanager
def environment(dbname, commit=True, context=None):
    """An environment as the superuser, on a cursor committed on success."""
    with registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, dict(context or {}))
        try:
            yield env
        except BaseException:
            cr.rollback()
            raise
        if commit:
            env.flush_all()
            cr.commit()
        else:
            cr.rollback()


def installed_modules(env, names):
    rows = env["ir.module.module"].search_read(
        [("name", "in", list(names)), ("state", "=", "installed")], ["name"]
    )
    return {row["name"] for row in rows}


def vacuum(dbname, tables, analyze=True):
    """VACUUM (ANALYZE) ``tables``, outside any transaction."""
    connection = odoo.sql_db.db_connect(dbname)
    with connection.cursor() as cr:
        cr._cnx.autocommit = True
        for table in tables:
            cr.execute(f"VACUUM {'ANALYZE ' if analyze else ''}{table}")
