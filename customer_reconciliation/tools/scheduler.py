"""What the addon's scheduled actions share."""

import functools


def in_user_language(method):
    """Run a scheduled action in the language of its user.

    Odoo runs scheduled actions with no language in their context: the
    notes, activities and notifications they write would be in English for
    a Chinese back office. A call that brings a language keeps it.
    """

    @functools.wraps(method)
    def scheduled(self, *args, **kwargs):
        records = self
        if not self.env.context.get("lang") and self.env.user.lang:
            records = self.with_context(lang=self.env.user.lang)
        return method(records, *args, **kwargs)

    return scheduled
