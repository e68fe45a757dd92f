"""Dubbed renders through HTTP: per-language outputs in the poll answer, tagged downloads, ``?language=``, 4000s.

The client owns the render body's draft, so the test uploads a clip and one tone per language (stand-in
speech) and sends a draft it wrote itself: es 600 Hz, fr 800 Hz, de 1200 Hz, all speaking 1.0–2.0 s.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rawapi import RawApi

from nemo_nb import samples
from nemo_nb.local.media.ffmpeg import ffmpeg_exe

pytestmark = pytest.mark.slow  # dubbed renders through HTTP

HZ = {"es": 600, "fr": 800, "de": 1200}
TAGS = {"es": "spa", "fr": "fre", "de": "ger"}
RATE = 16000


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dub")
    made = {lang: samples.make_tone(folder / f"voice_{lang}.wav", seconds=2, frequency=hz) for lang, hz in HZ.items()}
    made["clip"] = samples.make_clip(folder / "talk.mp4", seconds=3)
    return made


def upload_dub(api: RawApi, sid: str, tones: dict[str, Path]) -> dict[str, Any]:
    """Upload the clip and voices; the draft a dubbing client would send (video ducked under each dub)."""
    r = api.upload(sid, tones["clip"], *(tones[lang] for lang in HZ))
    assert r.status_code == 200, r.text
    ids = [f["media_id"] for f in r.json()["data"]["files"]]
    speech = [{"src": media_id, "k": "voiceover", "lang": lang, "st": 1000, "d": 1000}
              for lang, media_id in zip(HZ, ids[1:], strict=True)]
    return {"t": [{"tt": 0, "sg": [{"src": ids[0], "duck": True}]}, {"tt": 1, "n": "Dubs", "sg": speech}],
            "m": {"languages": list(HZ)}}


def submit(api: RawApi, sid: str, render_id: str, draft: dict[str, Any], **output: Any) -> Any:
    return api.call("POST", "/api/render/proxy/lambda",
                    json={"id": render_id, "sessionId": sid, "draft": draft,
                          "output": {"format": "mp4", "quality": "high", **output}})


def audio_tags(path: Path) -> list[tuple[str, bool]]:
    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                          check=False).stderr
    return [(m.group(1) or "und", "(default)" in m.group(0))
            for m in re.finditer(r"Stream #0:\d+(?:\[\w+\])?(?:\((\w+)\))?: Audio:.*", text)]


def tone_levels(path: Path, stream: int = 0, start: float = 1.2, end: float = 1.8) -> dict[str, float]:
    """Amplitude of each language's tone in ``stream`` between ``start`` and ``end`` s."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", f"0:a:{stream}", "-ac", "1",
                          "-ar", str(RATE), "-f", "f32le", "-"], capture_output=True, check=True).stdout
    part = np.frombuffer(raw, np.float32)[int(start * RATE):int(end * RATE)]
    t = np.arange(len(part)) / RATE
    return {lang: float(2 * abs(np.dot(part, np.exp(-2j * np.pi * hz * t))) / len(part)) for lang, hz in HZ.items()}


def assert_speaks(path: Path, lang: str, stream: int = 0) -> None:
    levels = tone_levels(path, stream)
    assert levels[lang] > 0.08, (lang, levels)  # make_tone: amplitude 1/8
    assert all(levels[other] < 0.01 for other in HZ if other != lang), (lang, levels)


def fetch(api: RawApi, url_or_path: str, out: Path, **params: Any) -> Path:
    r = api.http.get(url_or_path, params=params, headers=api.headers())
    assert r.status_code == 200, r.text
    out.write_bytes(r.content)
    return out


def test_dubbed_render_gives_every_language(api: RawApi, sid: str, tones: dict[str, Path], tmp_path: Path) -> None:
    draft = upload_dub(api, sid, tones)
    r = submit(api, sid, "render_dub_all", draft)
    assert r.status_code == 200, r.text
    data = api.wait_render("render_dub_all")["data"]
    assert data["status"] == "completed", data
    assert data["languages"] == ["es", "fr", "de"]
    assert set(data["outputs"]) == {"es", "fr", "de"}

    main = fetch(api, data["outputUrl"], tmp_path / "main.mp4")
    assert audio_tags(main) == [("spa", True), ("fre", False), ("ger", False)]
    for index, lang in enumerate(HZ):
        assert_speaks(main, lang, stream=index)
        url = data["outputs"][lang]
        assert url.endswith(f"/render_dub_all.{lang}.mp4")
        single = fetch(api, url, tmp_path / f"{lang}.mp4")
        assert audio_tags(single) == [(TAGS[lang], True)]
        assert_speaks(single, lang)
    by_query = fetch(api, "/api/render/proxy/render_dub_all/download", tmp_path / "q.mp4", language="fr")
    assert by_query.read_bytes() == (tmp_path / "fr.mp4").read_bytes()
    whole = fetch(api, "/api/render/proxy/render_dub_all/download", tmp_path / "w.mp4")
    assert whole.read_bytes() == main.read_bytes()

    r = api.call("GET", "/api/render/proxy/render_dub_all/download", params={"language": "it"})
    assert r.status_code == 400 and r.json()["code"] == 4000 and "es, fr, de" in r.json()["message"]
    key = data["outputs"]["es"].split("/files/")[1].split("/")[0]
    assert api.http.get(f"/files/{key}x/render_dub_all.es.mp4").status_code == 404  # keys are checked
    assert api.http.get(f"/files/{key.split('.')[0]}.nope/x.mp4").status_code == 404


def test_output_language_renders_one_tagged_track(api: RawApi, sid: str, tones: dict[str, Path],
                                                  tmp_path: Path) -> None:
    draft = upload_dub(api, sid, tones)
    assert submit(api, sid, "render_dub_fr", draft, language="fr").status_code == 200
    data = api.wait_render("render_dub_fr")["data"]
    assert data["status"] == "completed" and data["languages"] == ["fr"] and "outputs" not in data
    out = fetch(api, data["outputUrl"], tmp_path / "fr.mp4")
    assert audio_tags(out) == [("fre", True)]
    assert_speaks(out, "fr")
    assert fetch(api, "/api/render/proxy/render_dub_fr/download", tmp_path / "q.mp4",
                 language="fr").read_bytes() == out.read_bytes()
    assert api.call("GET", "/api/render/proxy/render_dub_fr/download", params={"language": "es"}).json()["code"] \
        == 4000


@pytest.mark.parametrize(("language", "message"), [
    ("it", "its languages: es, fr, de"), ("english", "language code"), (7, "language code"),
])
def test_unknown_output_language_is_4000(api: RawApi, sid: str, tones: dict[str, Path], language: Any,
                                         message: str) -> None:
    draft = upload_dub(api, sid, tones)
    r = submit(api, sid, "render_dub_bad", draft, language=language)
    body = r.json()
    assert r.status_code == 400 and body["code"] == 4000 and body["success"] is False
    assert message in body["message"]
    assert api.call("GET", "/api/render/proxy/lambda/render_dub_bad").json()["code"] == 4004  # nothing queued


def test_untagged_draft_answers_as_before(api: RawApi, sid: str, tones: dict[str, Path]) -> None:
    draft = upload_dub(api, sid, tones)
    draft["t"] = draft["t"][:1]
    del draft["m"]["languages"]
    r = submit(api, sid, "render_no_lang", draft, language="en")
    assert r.status_code == 400 and "no audio segment has a 'lang'" in r.json()["message"]
    assert submit(api, sid, "render_plain", draft).status_code == 200
    data = api.wait_render("render_plain")["data"]
    assert data["status"] == "completed" and "outputs" not in data and "languages" not in data


def test_toplevel_shape_carries_outputs(tmp_path: Path, tones: dict[str, Path]) -> None:
    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path / "backend", render_shape="toplevel") as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        assert submit(api, sid, "render_dub_top", upload_dub(api, sid, tones)).status_code == 200
        body = api.wait_render("render_dub_top")
        output = body["output"]
        assert body["status"] == "completed" and output["languages"] == ["es", "fr", "de"]
        for lang in HZ:
            single = fetch(api, output["outputs"][lang], tmp_path / f"{lang}.mp4")
            assert audio_tags(single) == [(TAGS[lang], True)]
        api.close()


OLD_RENDERS = """CREATE TABLE renders (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL, draft TEXT NOT NULL,
    output TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, error TEXT,
    relpath TEXT, url_key TEXT UNIQUE, size INTEGER, duration REAL, copies_video INTEGER,
    created_at REAL NOT NULL, started_at REAL, completed_at REAL)"""  # before dubbed renders and per-user ids


def test_store_adds_the_output_columns_to_an_older_database(tmp_path: Path) -> None:
    import sqlite3

    from nemo_nb.local.schema import SCHEMA
    from nemo_nb.local.store import Store

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)  # a database made before dubbed renders
    db.executescript(SCHEMA)
    db.execute(OLD_RENDERS)
    db.execute("INSERT INTO renders (id,user_id,session_id,draft,output,status,created_at) "
               "VALUES ('r_old','u','1','{\"t\":[]}','{}','completed',0)")
    db.commit()
    db.close()
    for _ in range(2):  # and opening it again changes nothing
        store = Store(path)
        columns = {row["name"] for row in store._all("PRAGMA table_info(renders)")}
        assert {"extra_outputs", "languages"} <= columns
        old = store.user_render("r_old", "u")
        assert old is not None and old.extra_outputs == {} and old.languages == [] and old.status == "completed"
        assert store.render_draft(old.key) == {"t": []}
        store.close()


def test_leftovers_of_a_crash_are_cleaned_and_finished_renders_kept(tmp_path: Path) -> None:
    from nemo_nb.local.datadir import DataDir
    from nemo_nb.local.store import Store

    store = Store(tmp_path / "nemo.sqlite3")
    renders = tmp_path / "renders"
    done = renders / "a.work"  # a finished render whose id ends in ".work", with a Spanish file
    (done / "work").mkdir(parents=True)
    (done / "a.work.mp4").write_bytes(b"mp4")
    (done / "a.work.es.mp4").write_bytes(b"mp4")
    (done / "a.work.fr.mp4.part").write_bytes(b"half")
    job = store.add_render("a.work", "u", "1", {"t": []}, {})
    assert job is not None
    store.update_render(job.key, status="completed", relpath="renders/a.work/a.work.mp4", url_key="k",
                        extra_outputs={"es": {"relpath": "renders/a.work/a.work.es.mp4", "url_key": "k.e",
                                              "size": 3}}, languages=["en", "es"])
    crashed = renders / "b"
    (crashed / "work").mkdir(parents=True)
    (crashed / "b.mp4.part").write_bytes(b"half")
    crashed_job = store.add_render("b", "u", "1", {"t": []}, {})
    assert crashed_job is not None
    store.update_render(crashed_job.key, status="processing")
    older = renders / "c.work"  # the layout before: renders/c.mp4 with renders/c.work/
    older.mkdir()
    (older / "filtergraph.txt").write_text("anull")
    (renders / "c.mp4").write_bytes(b"mp4")
    older_job = store.add_render("c", "u", "1", {"t": []}, {})
    assert older_job is not None
    store.update_render(older_job.key, status="completed", relpath="renders/c.mp4", url_key="c")
    (renders / "d.mp4.part").write_bytes(b"half")
    data = DataDir(tmp_path)
    assert data.claim()
    data.recover(store)
    kept = sorted(str(p.relative_to(renders)) for p in renders.rglob("*"))
    assert kept == ["a.work", "a.work/a.work.es.mp4", "a.work/a.work.mp4", "c.mp4"]
    assert store.render(crashed_job.key).status == "failed"
    data.release()
    store.close()
