"""The facet snapshot of a draft: what a user can see and ask about, as plain comparable values.

Read only from the documented draft keys (``t``/``tt``/``sg``/``d``/``m`` and the segment fields listed in
``nemo_nb/draft.py``: ``k st d ss src n v fi fo tx pos c lang``, ``m.canvas``, ``m.voiceover``, ``m.dub``), so
the snapshot does not depend on how the agent is built. ``corpus.yaml`` documents every facet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corpus import values

VIDEO, AUDIO, TEXT = 0, 1, 7
VISUAL_KINDS = ("video", "image")
PRESENTER_KINDS = ("avatar", "presenter", "pip")
SPAN_JOIN_S = 0.05  # pieces of one source closer than this, in and on the timeline, read as one kept range


@dataclass(frozen=True)
class Title:
    """A title (any text on the picture that is not a caption)."""

    text: str
    colour: str | None
    position: str | None
    start: float
    duration: float

    @property
    def end(self) -> float:
        return round(self.start + self.duration, 3)

    def looks(self) -> tuple[str, str | None, str | None]:
        """What survives a trim unchanged: the words and their style."""
        return self.text, values.colour_family(self.colour), self.position


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def seconds(ms: Any) -> float:
    return round(float(ms or 0) / 1000, 3) if isinstance(ms, (int, float)) and not isinstance(ms, bool) else 0.0


def _segments(draft: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    tracks = [t for t in draft.get("t") or [] if isinstance(t, dict)]
    return [(t, s) for t in tracks for s in t.get("sg") or [] if isinstance(s, dict)]


def _role(track: dict[str, Any], seg: dict[str, Any], uploads: dict[str, str], dub_languages: set[str],
          presenters: set[str]) -> str:
    """clip, presenter, title, caption, music, voiceover, dub or other. A presenter is any segment of a presenter
    kind or showing a generated presenter video, and any picture that is neither an upload nor text."""
    kind, name, track_type = str(seg.get("k") or ""), str(track.get("n") or "").lower(), track.get("tt")
    if kind in PRESENTER_KINDS or seg.get("src") in presenters:
        return "presenter"
    if track_type == VIDEO or kind in VISUAL_KINDS:
        return "clip" if seg.get("src") in uploads else "presenter"
    if track_type == TEXT or kind in ("title", "caption", "text"):
        return "caption" if kind == "caption" or name in ("captions", "subtitles") else "title"
    if track_type == AUDIO or kind in ("music", "voiceover", "dub", "audio"):
        if kind == "music" or name in ("music", "bgm"):
            return "music"
        if kind == "dub" or name.startswith("dub") or seg.get("lang") in dub_languages:
            return "dub"
        if kind == "voiceover" or "voice" in name:
            return "voiceover"
    return "other"


def _kept(clips: list[dict[str, Any]], uploads: dict[str, str]) -> tuple[tuple[str, float, float], ...]:
    """The source ranges shown, in timeline order, joined where one piece continues the previous one."""
    kept: list[list[Any]] = []
    last_end = None
    for seg in sorted(clips, key=lambda s: s.get("st") or 0):
        name, start_in = uploads[seg["src"]], seconds(seg.get("ss"))
        out, at = round(start_in + seconds(seg.get("d")), 3), seconds(seg.get("st"))
        if kept and kept[-1][0] == name and abs(kept[-1][2] - start_in) < SPAN_JOIN_S \
                and last_end is not None and abs(last_end - at) < SPAN_JOIN_S:
            kept[-1][2] = out
        else:
            kept.append([name, start_in, out])
        last_end = round(at + seconds(seg.get("d")), 3)
    return tuple((n, round(a, 2), round(b, 2)) for n, a, b in kept)


def _span(segs: list[dict[str, Any]]) -> tuple[float, float] | None:
    if not segs:
        return None
    return (min(seconds(s.get("st")) for s in segs),
            max(round(seconds(s.get("st")) + seconds(s.get("d")), 3) for s in segs))


def _text(segs: list[dict[str, Any]]) -> str | None:
    if not segs:
        return None
    ordered = sorted(segs, key=lambda s: s.get("st") or 0)
    return " ".join(str(s.get("tx") or s.get("n") or "").strip() for s in ordered).strip()


def _volume(segs: list[dict[str, Any]]) -> int | tuple[int, ...] | None:
    levels = sorted({int(s["v"]) if isinstance(s.get("v"), (int, float)) else 100 for s in segs})
    return None if not levels else levels[0] if len(levels) == 1 else tuple(levels)


def _gender(meta: dict[str, Any]) -> str | None:
    """The voiceover's gender: ``m.voiceover.gender``, else the installed voice with that id, else its id."""
    if meta.get("gender") in ("male", "female"):
        return meta["gender"]
    voice = str(meta.get("voice") or "").lower()
    if not voice:
        return None
    try:
        from nemo_nb.local.media.tts import voices

        known = {v.id.lower(): v.gender for v in voices()}
    except ImportError:  # pragma: no cover - the local extra is installed for the tests
        known = {}
    if voice in known:
        return known[voice]
    return "female" if "+f" in voice or "female" in voice else "male"


def _caption_language(captions: list[dict[str, Any]], text: str | None, voice: dict[str, Any],
                      voice_text: str | None, dubs: dict[str, str]) -> str | None:
    """A caption's own ``lang``, else the language of the dub or voiceover whose words it shows."""
    own = next((s.get("lang") for s in captions if s.get("lang")), None)
    if own:
        return values.language_code(own)
    for language, words in dubs.items():
        if text and words and values.plain_text(text) == values.plain_text(words):
            return language
    if text and voice_text and values.plain_text(text) == values.plain_text(voice_text):
        return values.language_code(voice.get("language"))
    return None


def _music(segs: list[dict[str, Any]], uploads: dict[str, str]) -> dict[str, Any]:
    music = sorted(segs, key=lambda s: s.get("st") or 0)
    if not music:
        return {"music.present": False, "music.source": None, "music.volume": None, "music.fade_in": None,
                "music.fade_out": None, "music.span": None}
    return {"music.present": True, "music.source": uploads.get(str(music[0].get("src")), "generated"),
            "music.volume": _volume(music), "music.fade_in": seconds(music[0].get("fi")),
            "music.fade_out": seconds(music[-1].get("fo")), "music.span": _span(music)}


def _voiceover(spoken: list[dict[str, Any]], voice: dict[str, Any]) -> dict[str, Any]:
    language = voice.get("language") or next((s.get("lang") for s in spoken if s.get("lang")), None)
    pace = voice.get("pace")
    return {"voiceover.present": bool(spoken), "voiceover.text": _text(spoken),
            "voiceover.language": values.language_code(language) if spoken else None,
            "voiceover.gender": _gender(voice) if spoken else None,
            "voiceover.pace": round(float(pace), 3) if spoken and isinstance(pace, (int, float)) else None,
            "voiceover.volume": _volume(spoken), "voiceover.span": _span(spoken)}


def _captions(captions: list[dict[str, Any]], voice: dict[str, Any], voice_text: str | None,
              dubs: dict[str, str]) -> dict[str, Any]:
    text = _text(captions)
    if not captions:
        return {"captions.present": False, "captions.text": None, "captions.language": None,
                "captions.colour": None, "captions.position": None, "captions.span": None}
    return {"captions.present": True, "captions.text": text,
            "captions.language": _caption_language(captions, text, voice, voice_text, dubs),
            "captions.colour": next((s.get("c") for s in captions if s.get("c")), "white"),
            "captions.position": values.position(next((s.get("pos") for s in captions if s.get("pos")), "bottom")),
            "captions.span": _span(captions)}


def _other(seg: dict[str, Any], uploads: dict[str, str]) -> tuple[str, str]:
    return str(seg.get("k") or "?"), uploads.get(str(seg.get("src"))) or str(seg.get("tx") or seg.get("n") or "")


def _titles(segs: list[dict[str, Any]]) -> tuple[Title, ...]:
    found = (Title(str(s.get("tx") or s.get("n") or ""), s.get("c"), values.position(s.get("pos")),
                   seconds(s.get("st")), seconds(s.get("d"))) for s in segs)
    return tuple(sorted(found, key=lambda t: (t.start, t.text)))


def snapshot(state: dict[str, Any]) -> dict[str, Any]:
    """The facets of a session state (``GET /api/state/…/latest`` → ``data.state``)."""
    draft = _mapping(state.get("draft"))
    uploads = {u["media_id"]: str(u.get("filename")) for u in state.get("video_infos") or []
               if isinstance(u, dict) and u.get("media_id")}
    meta = _mapping(draft.get("m"))
    dub_meta, voice = _mapping(meta.get("dub")), _mapping(meta.get("voiceover"))
    presenters = {g.get("media_id") for g in state.get("generated_media") or []
                  if isinstance(g, dict) and g.get("kind") in PRESENTER_KINDS}
    roles: dict[str, list[dict[str, Any]]] = {}
    for track, seg in _segments(draft):
        roles.setdefault(_role(track, seg, uploads, set(dub_meta), presenters), []).append(seg)
    canvas = _mapping(meta.get("canvas"))
    w, h = canvas.get("w"), canvas.get("h")
    facets: dict[str, Any] = {
        "canvas.w": w, "canvas.h": h, "canvas.fit": canvas.get("fit", "blur") if canvas else None,
        "canvas.ratio": round(w / h, 4) if isinstance(w, int) and isinstance(h, int) and h else None,
        "video.kept": _kept(roles.get("clip", []), uploads), "video.volume": _volume(roles.get("clip", [])),
        "presenter.present": bool(roles.get("presenter")),
        "loudness": meta.get("loudness"),  # the exports' LUFS or "off"; None: the default (-14)
    }
    facets.update(_voiceover(roles.get("voiceover", []), voice))
    facets.update(_music(roles.get("music", []), uploads))
    dubbed: dict[str, list[dict[str, Any]]] = {str(k): [] for k in dub_meta}
    for seg in roles.get("dub", []):
        dubbed.setdefault(str(seg.get("lang") or "?"), []).append(seg)
    dub_texts = {values.language_code(k) or k: _text(v) or "" for k, v in dubbed.items()}
    facets["dubs"] = tuple(sorted(dub_texts))
    facets.update({f"dub.{language}.text": words for language, words in dub_texts.items()})
    facets.update(_captions(roles.get("caption", []), voice, facets["voiceover.text"], dub_texts))
    facets["titles"] = _titles(roles.get("title", []))
    facets["other"] = tuple(sorted(_other(s, uploads) for s in roles.get("other", [])))
    declared = draft.get("d")
    ends = [round(seconds(s.get("st")) + seconds(s.get("d")), 3) for _, s in _segments(draft)]
    facets["duration"] = seconds(declared) if isinstance(declared, int) and declared > 0 else max(ends, default=0.0)
    return facets
