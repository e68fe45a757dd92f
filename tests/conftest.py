"""Shared fixtures: the embedded backend on loopback, a raw HTTP helper, small generated media."""
from __future__ import annotations

from pathlib import Path

import pytest
from rawapi import RawApi

from nemo_nb import Nemo, samples
from nemo_nb.api import Timings

FAST = Timings(render_poll_min_s=0.05, render_poll_max_s=0.2, drop_poll_s=0.05)  # renders here take a second


@pytest.fixture(autouse=True)
def isolated_identity(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the user's ~/.config/nemovideo, or sees their NEMO_* settings."""
    directory = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("NEMO_CONFIG_DIR", str(directory))
    for name in ("NEMO_TOKEN", "NEMO_API_URL", "NEMO_CLIENT_ID", "NEMO_WEB_URL", "SKILL_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip(media_dir: Path) -> Path:
    """A 3 s 320x240 H.264 clip with a tone."""
    return samples.make_clip(media_dir / "clip.mp4", seconds=3)


@pytest.fixture(scope="session")
def silent_clip(media_dir: Path) -> Path:
    return samples.make_clip(media_dir / "silent.mp4", seconds=2, audio=False)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory):
    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path_factory.mktemp("backend"), tokens_per_ip=10_000, heartbeat_s=0.2) as b:
        yield b


@pytest.fixture
def api(backend) -> RawApi:
    raw = RawApi(backend.url)
    raw.login()
    yield raw
    raw.close()


@pytest.fixture
def sid(api: RawApi) -> str:
    return api.session()


@pytest.fixture(scope="session")
def spoken(media_dir: Path) -> tuple[Path, list[samples.SpokenLine]]:
    """A 320x240 clip of someone talking (the project's own English voice): four sentences with known times."""
    pytest.importorskip("piper")
    path = media_dir / "talk.mp4"
    return path, samples.make_spoken_clip(path, samples.TALK_SCRIPT[:4], width=320, height=240)


@pytest.fixture
def controller(backend, tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch):
    """The notebook's session controller connected to the backend, working in tmp_path (with clip.mp4)."""
    from nemo_nb.notebook.controller import NotebookSession

    monkeypatch.chdir(tmp_path)
    (tmp_path / "clip.mp4").write_bytes(clip.read_bytes())
    c = NotebookSession()
    c.settings.export_dir = str(tmp_path / "exports")
    c.connect(url=backend.url)
    yield c
    c.close()


@pytest.fixture
def nemo(backend):
    """The client on the module's backend, polling renders often (test files may define their own)."""
    n = Nemo(backend.url, timings=FAST)
    yield n
    n.close()
