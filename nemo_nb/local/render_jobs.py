"""Render requests: checking a submission, recording and queueing it, its status view and its files."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from nemo_nb.local import errors, limits
from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import ApiError, bad_request
from nemo_nb.local.records import Render, Session
from nemo_nb.local.web import text_field

RENDER_ID = re.compile(r"^(?!\.)[A-Za-z0-9_.-]{1,80}$")  # no leading dot: "." / ".." are not addressable in a URL


def render_id(body: dict[str, Any]) -> str:
    value = text_field(body, "id", max_len=80)
    if not RENDER_ID.match(value):
        raise bad_request("render id must be 1-80 characters of letters, digits, '_', '.' or '-'")
    return value


def check_draft(draft: Any, output: Any) -> dict[str, Any]:
    """The submission's ``output`` options once the draft and options are fit to render; 4000 / 4005 otherwise.
    Blocking (a draft may hold thousands of segments): run it in a worker thread."""
    from nemo_nb.draft import Draft

    if not isinstance(draft, dict):
        raise bad_request("field 'draft' must be a JSON object (the session's draft)")
    limits.check_draft_size(draft)
    if not Draft(draft).is_renderable:
        raise ApiError(errors.NOTHING_TO_RENDER, "the draft has nothing to render: no track has segments. "
                       "Upload a video and add it to the timeline first")
    output = output or {"format": "mp4", "quality": "high"}
    if not isinstance(output, dict) or output.get("format", "mp4") != "mp4":
        raise bad_request("output.format must be 'mp4'")
    if output.get("language") is not None:  # one language of a dubbed draft: it must be there
        from nemo_nb.local.media.timeline import RenderError, draft_languages, language_code

        try:
            language = language_code(output["language"], "output.language")
            known = draft_languages(Draft(draft))
        except RenderError as exc:
            raise bad_request(str(exc)) from None
        if language not in known:
            raise bad_request(f"output.language {output['language']!r} is not in the draft; its languages: "
                              + (", ".join(known) or "none (no audio segment has a 'lang')"))
    return output


def submit(b: Backend, user_id: str, session: Session, rid: str, draft: dict[str, Any],
           output: dict[str, Any]) -> dict[str, Any]:
    """Record the render and queue it; the answer's body. 4009 when this user already used the id."""
    job = b.store.add_render(rid, user_id, session.id, draft, output)
    if job is None:
        raise ApiError(errors.DUPLICATE_RENDER, f"render id {rid!r} is already used; choose a new one")
    b.renders.submit(job)
    return {"success": True, "data": {"id": rid, "status": "pending", "progress": 0}}


def user_render(b: Backend, user_id: str, rid: str) -> Render:
    job = b.store.user_render(rid, user_id)
    if job is None:
        raise ApiError(errors.UNKNOWN_RENDER, "unknown render id")
    return job


def _iso(t: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None


def render_view(b: Backend, job: Render) -> dict[str, Any]:
    """A render's status in the configured poll shape.

    A dubbed render adds ``languages`` (its audio tracks, in order) and, when it made one MP4 per
    language, ``outputs`` ({language: url}) — in ``data`` (wrapped) or in ``output`` (top-level).
    """
    url = f"{b.public_url}/files/{job.url_key}/{job.id}.mp4" if job.url_key else None
    dubbed: dict[str, Any] = {}
    if url:
        if job.extra_outputs:
            dubbed["outputs"] = {lang: f"{b.public_url}/files/{e['url_key']}/{job.id}.{lang}.mp4"
                                 for lang, e in job.extra_outputs.items()}
        if job.languages:
            dubbed["languages"] = job.languages
    if b.settings.render_shape == "toplevel":
        out: dict[str, Any] = {"taskId": job.id, "status": job.status, "progress": job.progress}
        if url:
            out["output"] = {"url": url, "duration": job.duration, "size": job.size, **dubbed}
    else:
        data = {"id": job.id, "status": job.status, "progress": job.progress, "outputUrl": url,
                "createdAt": _iso(job.created_at), "completedAt": _iso(job.completed_at)}
        if url:
            data.update(duration=job.duration, size=job.size, **dubbed)
        out = {"success": True, "data": data}
    if job.error:
        (out if "taskId" in out else out["data"])["error"] = job.error
    return out


def download(b: Backend, job: Render, language: str | None) -> tuple[Path, str]:
    """(path, file name) of a completed render, or of one language of a dubbed render."""
    if job.status != "completed" or job.relpath is None:
        raise ApiError(errors.NOT_READY, f"the render is {job.status}; download it once it is completed")
    relpath, name = job.relpath, f"{job.id}.mp4"
    if language is not None:
        code = language.lower().replace("_", "-")
        if code in job.extra_outputs:
            relpath, name = job.extra_outputs[code]["relpath"], f"{job.id}.{code}.mp4"
        elif job.languages != [code]:  # a one-language render is its own file
            raise bad_request(f"this render has no language {language[:20]!r}; its languages: "
                              + (", ".join(job.languages) or "none"))
    return b.data_dir / relpath, name


def output_file(b: Backend, url_key: str) -> str | None:
    """The relative path of a completed render's file by its URL key (a dubbed render's language files
    have keys ``<render key>.<own key>``)."""
    job = b.store.render_by_url_key(url_key)
    if job is not None:
        return job.relpath
    if "." not in url_key:
        return None
    parent = b.store.render_by_url_key(url_key.split(".", 1)[0])
    extra = parent.extra_outputs if parent else {}
    return next((e["relpath"] for e in extra.values()
                 if secrets.compare_digest(e["url_key"].encode(), url_key.encode())), None)
