"""What the route handlers share: settings, the store, the user's files, turns, renders, the public URL."""
from __future__ import annotations

from pathlib import Path

from nemo_nb.local.datadir import DataDir
from nemo_nb.local.idempotency import Idempotency
from nemo_nb.local.library import Library
from nemo_nb.local.renders import RenderManager
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store
from nemo_nb.local.turns import TurnRunner


class Backend:
    """One embedded backend over one data directory."""

    def __init__(self, settings: BackendSettings, data_dir: Path):
        self.settings = settings
        self.data_dir = data_dir
        self.data = DataDir(data_dir)
        self.store = Store(data_dir / "nemo.sqlite3")
        self.library = Library(self.store, data_dir, lambda: self.public_url)
        self.media = self.library.folder
        self.turns = TurnRunner(self.store, settings, self.library)
        self.renders = RenderManager(self.store, settings, data_dir)
        self.idempotency = Idempotency(self.store)
        self.public_url = f"http://127.0.0.1:{settings.port}"
        self.rate_limited_once = False
        self.session_lost_once = False

    @property
    def web_url(self) -> str:
        return (self.settings.web_url or self.public_url).rstrip("/")

    def registration_url(self, user_id: str) -> str:
        return f"{self.web_url}/register?bind={user_id}"

    async def start(self) -> None:
        """Recover from a previous run (unless another backend is using the data directory), then get
        ready to serve."""
        if self.data.claim():
            self.data.recover(self.store)
        self.data.share()
        warm_speech()

    async def stop(self) -> None:
        await self.turns.drain()
        await self.renders.drain()
        self.store.close()
        self.data.release()


def warm_speech() -> None:
    """Load the neural voice in its worker now, so the first voiceover does not wait for it."""
    try:
        from nemo_nb.local.media.tts import engine
    except ImportError:  # the voices are optional
        return
    engine().warm()
