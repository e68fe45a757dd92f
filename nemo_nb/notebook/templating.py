"""``{{var}}`` in a message: a Python value from the notebook; other braces (JSON) are left alone."""
from __future__ import annotations

import json
import re
from typing import Any

from nemo_nb.notebook.errors import NemoCellError

_VAR = re.compile(r"(\\?)\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")


def value_text(value: Any) -> str:
    """A value as message text: strings as they are, containers as JSON, the rest with ``str``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            pass
    return str(value)


def substitute(text: str, namespace: dict[str, Any]) -> str:
    """``{{name}}`` / ``{{name.attr}}`` → the value from ``namespace``; ``\\{{name}}`` stays as braces.

    Only a Python name between double braces is replaced, so JSON (``{"a": {"b": 1}}``) is left alone.
    """
    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        name = match.group(2)
        head, *attrs = name.split(".")
        if head not in namespace:
            raise NemoCellError(f"{{{{{name}}}}}: there is no variable {head} in the notebook.",
                                f"Define it in a cell above, or write \\{{{{{name}}}}} to send the braces as they are.")
        value = namespace[head]
        for attr in attrs:
            try:
                value = getattr(value, attr)
            except AttributeError:
                raise NemoCellError(f"{{{{{name}}}}}: {head} has no attribute {attr}.") from None
        return value_text(value)

    return _VAR.sub(replace, text)
