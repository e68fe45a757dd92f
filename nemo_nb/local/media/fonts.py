"""A font for drawn text, found without apt: matplotlib's bundled DejaVu Sans, else the system's."""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

_SYSTEM_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)


@functools.lru_cache(maxsize=2)
def default_font(bold: bool = False) -> Path:
    """DejaVu Sans (or DejaVu Sans Bold); raise ``FileNotFoundError`` saying how to get it."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _candidate_dirs():
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"no {name} found: install matplotlib, which bundles it (pip install 'nemo-nb[local]'), "
        "or the system package fonts-dejavu"
    )


def fonts_dir() -> Path:
    """The folder holding the default font, for libass ``fontsdir=``."""
    return default_font().parent


def _candidate_dirs() -> list[Path]:
    dirs = [Path(d) for d in _SYSTEM_DIRS]
    # Locate matplotlib's package without importing it (importing it pulls in numpy and more).
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        dirs.insert(0, package / "mpl-data" / "fonts" / "ttf")
    return dirs
