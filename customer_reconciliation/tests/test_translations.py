import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

ADDONS = ("customer_reconciliation", "customer_reconciliation_sale")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_chinese_translation_is_complete_and_current(self):
        """Every term the addons export today has its Chinese in zh_CN.po.

        A term whose source changed (a template's field renamed, a message
        reworded) no longer matches its old entry, and Odoo then shows the
        English text to a Chinese user: the file must follow the source.
        """
        installed = self.env["ir.module.module"].search(
            [("name", "in", ADDONS), ("state", "=", "installed")]
        )
        for addon in installed.mapped("name"):
            with self.subTest(addon=addon):
                reader = TranslationModuleReader(self.env.cr, modules=[addon])
                sources = {
                    source
                    for module, __, __, __, source, __, __ in reader
                    if source and module == addon
                }
                po = polib.pofile(file_path(f"{addon}/i18n/zh_CN.po"))
                translated = {
                    entry.msgid
                    for entry in po
                    if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
                }
                missing = sorted(source[:80] for source in sources - translated)
                self.assertTrue(sources)
                self.assertFalse(missing, f"{addon}/i18n/zh_CN.po lacks {len(missing)} terms")
