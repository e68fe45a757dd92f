"""The data directory: private to the user, used by one backend at a time for recovery, and holding only
what the database owns.

- **Permissions**: directories 0700, files 0600 (the database and its WAL too: a token hash or a client
  id is enough to act as its user); looser ones are tightened at start.
- **Ownership**: every backend holds a shared lock on ``backend.lock`` while it runs. Only a backend that
  can take it exclusively — no other backend is using the directory — recovers from a crash: it fails
  the renders and turns left running, and sweeps away every file under ``media/`` and ``renders/`` the
  database does not own (partial uploads, generated files of turns that never finished, render work
  folders). A file is recorded only once it is complete, so nothing a row points at is swept; a sweep
  cut short is finished by the next start. (Where ``fcntl`` is missing, Windows, a backend assumes it is
  alone.)
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from nemo_nb.local.store import Store

SWEPT = ("media", "renders")  # the folders whose every file must be owned by the database


def tighten(path: Path, mode: int) -> None:
    """Take away the permissions ``path`` has beyond ``mode``."""
    if path.stat().st_mode & 0o777 & ~mode:
        os.chmod(path, mode)


def private_folder(path: Path) -> Path:
    """``path`` as a directory only its owner can open (made if missing, tightened if looser)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    tighten(path, 0o700)
    return path


def make_private(root: Path) -> None:
    """Directories 0700 and files 0600 under ``root`` (symbolic links are left alone)."""
    tighten(root, 0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            if not (Path(folder) / name).is_symlink():
                tighten(Path(folder) / name, 0o700)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                tighten(path, 0o600)


def sweep(root: Path, owned: Iterable[str]) -> list[Path]:
    """Remove every file under ``root/media`` and ``root/renders`` not in ``owned`` (paths relative to
    ``root``), then the folders left empty; what was removed."""
    keep = {(root / p).resolve() for p in owned}
    removed: list[Path] = []
    for top in SWEPT:
        base = root / top
        if not base.is_dir():
            continue
        for folder, dirs, files in os.walk(base, topdown=False):
            here = Path(folder)
            for name in files:
                path = here / name
                if path.is_symlink() or path.resolve() not in keep:
                    path.unlink(missing_ok=True)
                    removed.append(path)
            for name in dirs:
                path = here / name
                if path.is_symlink():
                    path.unlink(missing_ok=True)
                    removed.append(path)
                elif not any(path.iterdir()):
                    path.rmdir()
    return removed


class DataDir:
    """One backend's hold on its data directory."""

    def __init__(self, root: Path):
        self.root = private_folder(root)
        self._lock: IO[bytes] | None = None

    def claim(self) -> bool:
        """Hold the directory for as long as this backend runs; True when no other backend is using it."""
        path = self.root / "backend.lock"
        self._lock = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
        try:
            import fcntl
        except ImportError:
            return True
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fcntl.flock(self._lock, fcntl.LOCK_SH)  # another backend runs here: share, recover nothing
            return False
        return True

    def share(self) -> None:
        """Recovery is over: let other backends in."""
        try:
            import fcntl
        except ImportError:
            return
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def recover(self, store: Store) -> list[Path]:
        """After a crash: fail what was left running, sweep what the database does not own, tighten modes."""
        store.fail_interrupted_renders()
        store.interrupt_running_turns()
        removed = sweep(self.root, store.media_paths() | store.render_paths())
        make_private(self.root)
        return removed

