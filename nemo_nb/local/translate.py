"""The translator plug-in interface. None ships: no machine translation runs offline here.

A package can provide one with an entry point in the ``nemo_nb.translators`` group::

    [project.entry-points."nemo_nb.translators"]
    my_translator = "my_package:translate"

where ``translate(lines: list[str], source: str, target: str) -> list[str]`` returns one translated
line per input line (languages are ISO 639-1 codes such as "en", "es"). The first one found is used.
"""
from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

Translator = Callable[[list[str], str, str], list[str]]
GROUP = "nemo_nb.translators"


def translator() -> Translator | None:
    """The installed translator, if any; it is checked to keep one line per line."""
    for entry in entry_points(group=GROUP):
        plugin = entry.load()

        def checked(lines: list[str], source: str, target: str, plugin: Any = plugin,
                    name: str = entry.name) -> list[str]:
            out = [str(line) for line in plugin(list(lines), source, target)]
            if len(out) != len(lines):
                raise ValueError(f"translator {name} returned {len(out)} lines for {len(lines)}")
            return out

        checked.__name__ = entry.name
        return checked
    return None
