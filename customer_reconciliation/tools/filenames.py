"""File names for the documents the addon attaches and downloads."""

import re

# Characters Windows refuses in a file name (and control characters), which a
# customer's or a document's name may hold.
_REFUSED = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(text, limit=150):
    """``text`` as a file name: refused characters become ``-``, and it does
    not end with a dot or a space (which Windows drops)."""
    name = _REFUSED.sub("-", text or "")
    name = re.sub(r"\s+", " ", name).strip()
    return name[:limit].rstrip(". ") or "-"
