"""The OpenAPI 3.1 document of the protocol as the embedded backend serves it (``GET /openapi.json``).

This module is its one source: ``document()`` builds it, the backend serves it with its own address as the
server, and the test suite checks it against every route and runs schemathesis against a live backend.
Fields and operations of our own (not in the cloud's protocol) carry ``x-nemo-extension: true``.
``python -m nemo_nb.local.openapi`` prints it.
"""
from __future__ import annotations

import json
from typing import Any

from nemo_nb._version import __version__
from nemo_nb.local.topup import MAX_ADD

JSON = "application/json"
REF = "#/components/schemas/"
SESSION_ID = {"type": "string", "pattern": "^[0-9]{1,30}$", "description": "numeric string, as made by the backend"}
RENDER_ID = {"type": "string", "pattern": "^(?!\\.)[A-Za-z0-9_.-]{1,80}$"}
LANGUAGE = {"type": "string", "pattern": "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", "maxLength": 16}
STATUSES = {
    400: "malformed request (code 4000; 400: missing X-Client-Id)", 401: "token missing, bad or expired (1001)",
    402: "attribution headers missing: the free plan cannot export (not a credits problem)",
    403: "refused (4003): Host not this server (a loopback name with its port), or a browser request from an "
         "origin not allowed; on /run_sse also not enough credits (2001), with a registration link",
    404: "not found (1002 session, 4004 render)",
    409: "conflict: nothing to render (4005), id used (4009), not ready (4010), turn running (4029), "
         "message already received (4030), not cancellable (4031)",
    413: "file too large (4002)", 415: "unsupported file type (4001)",
    422: "render longer or larger than this backend renders (4006)", 429: "rate limited, with Retry-After",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def obj(required: list[str], extra: bool = True, **properties: Any) -> dict[str, Any]:
    """An object schema (other properties allowed unless ``extra`` is False)."""
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if not extra:
        out["additionalProperties"] = False
    return out


STRING, INTEGER, NUMBER, BOOLEAN = ({"type": t} for t in ("string", "integer", "number", "boolean"))
NULLABLE_STRING = {"type": ["string", "null"]}


def envelope(data: dict[str, Any]) -> dict[str, Any]:
    return obj(["code", "data"], code={"const": 0}, message=STRING, msg=STRING, data=data)


def answer(description: str, schema: dict[str, Any], media: str = JSON, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}, **extra}


def errors(*statuses: int) -> dict[str, Any]:
    """Error answers (the JSON envelope) for ``statuses``, plus those any request can get: 400 (headers too
    big) and 403 (4003: a Host or a browser origin refused, before any route runs)."""
    out = {str(s): answer(STATUSES[s], ref("Error")) for s in sorted({400, 403, *statuses})}
    if 429 in statuses:
        out["429"]["headers"] = {"Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}}
    return out


def param(name: str, where: str, schema: dict[str, Any], required: bool | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path" if required is None else required,
            "schema": schema, **extra}


def body(schema: dict[str, Any], required: bool = True, media: str = JSON) -> dict[str, Any]:
    return {"required": required, "content": {media: {"schema": schema}}}


APP = param("app", "path", {"type": "string", "enum": ["nemo_agent"]})
USER = param("user", "path", {"type": "string", "enum": ["me"]}, description="me (the token's own user id works too)")
SID = param("sid", "path", SESSION_ID)
RID = param("rid", "path", RENDER_ID)
IDEMPOTENCY = param("Idempotency-Key", "header", {"type": "string", "maxLength": 200}, False,
                    **{"x-nemo-extension": True, "description": "the same key again gets the first answer"})
ATTRIBUTION = [param(h, "header", {"type": "string", "minLength": 1, "maxLength": 100}, False)
               for h in ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")]
SESSION_LINKS = {
    "SessionState": {"operationId": "sessionState", "parameters": {"path.sid": "$response.body#/data/session_id",
                                                                   "path.user": "me"}},
    "Upload": {"operationId": "upload", "parameters": {"path.sid": "$response.body#/data/session_id",
                                                       "path.user": "me"}},
    "RunSse": {"operationId": "runSse", "requestBody": {"session_id": "$response.body#/data/session_id"}},
    "ClaimToken": {"operationId": "claimToken", "requestBody": {"session_id": "$response.body#/data/session_id",
                                                                "task_id": "$response.body#/data/task_id"}},
    "SubmitRender": {"operationId": "submitRender", "requestBody": {"sessionId": "$response.body#/data/session_id"}},
}
RENDER_LINKS = {name: {"operationId": op, "parameters": {"path.rid": "$response.body#/data/id"}}
                for name, op in (("Status", "renderStatus"), ("Cancel", "cancelRender"),
                                 ("Download", "downloadRender"))}

FILE = obj(["media_id", "filename", "file_type", "cdn_url"], media_id=STRING, filename=STRING,
           file_type={"enum": ["video", "image", "audio", "document"]}, cdn_url=STRING, duration=NUMBER,
           width=INTEGER, height=INTEGER, fps=NUMBER, has_audio=BOOLEAN, size=INTEGER, hash=STRING)
EXTENSION_STRING = {"type": "string", "x-nemo-extension": True}
GENERATED = obj(FILE["required"], **FILE["properties"], kind={
    **EXTENSION_STRING, "description": "what the agent made: voiceover, music, captions, subtitles, dub, avatar, or "
                                       "transcript (the clip's words: transcript.<lang>.srt and .txt, and "
                                       "transcript.<media id>.json in nemo_nb.transcript's format)"},
    source={**EXTENSION_STRING, "description": "a transcript's: the media id(s) heard"},
    model={**EXTENSION_STRING, "description": "a transcript's: the speech recognition model"},
    language=EXTENSION_STRING)
SEGMENT = obj([], st={"type": "integer", "minimum": 0}, d={"type": "integer", "minimum": 1}, tx=STRING, src=STRING,
              v=NUMBER, lang=STRING)  # the backend's own segment fields: see nemo_nb/draft.py
DRAFT = obj([], t={"type": "array", "items": obj([], tt={"type": "integer", "description": "0 video, 1 audio, 7 text"},
                                                 sg={"type": "array", "items": SEGMENT})},
            m=obj([], canvas=obj(["w", "h"], w=INTEGER, h=INTEGER, fit={"enum": ["fit", "fill"]})), d=NUMBER)
RENDER_STATUS = {"enum": ["pending", "processing", "completed", "failed"]}
OUTPUTS = {"type": "object", "additionalProperties": STRING, "x-nemo-extension": True}
LANGUAGES = {"type": "array", "items": STRING, "x-nemo-extension": True}
PREVIEW = {"type": "boolean", "x-nemo-extension": True,
           "description": "a preview: a quick small render for looking (at most 540p and 15 fps, named "
                          "<id>.preview.mp4), never the final export"}
SCHEMAS: dict[str, Any] = {
    "Error": obj(["code", "message"], code=INTEGER, message=STRING, data={"type": "object"},
                 success={"const": False}),
    "Health": envelope(obj(["name", "version"], name=STRING, version=STRING, sse_dialect=STRING)),
    "Token": envelope(obj(["token", "user_id", "expires_at", "credits"], token={"type": "string",
                          "pattern": "^nmv_usr_"}, user_id=STRING, expires_at=STRING, credits=INTEGER)),
    "Task": envelope(obj(["task_id", "session_id", "user_id"], task_id=STRING, session_id=SESSION_ID,
                            user_id=STRING)),
    "Claim": envelope(obj(["claim_token", "expires_in"], claim_token={"type": "string", "pattern": "^clm_"},
                          expires_in=INTEGER)),
    "Balance": envelope(obj(["available", "frozen", "total"], available=INTEGER, frozen=INTEGER, total=INTEGER)),
    "State": envelope(obj(["session_id", "task_id", "task_name", "state"], session_id=SESSION_ID, task_id=STRING,
                          task_name=STRING, state=obj(["draft"], draft=DRAFT, video_infos={"type": "array",
                          "items": FILE}, canvas_config={"type": "object"}, generated_media={"type": "array",
                          "items": GENERATED}, video_analyses={"type": "array"}))),
    "Uploaded": envelope(obj(["files", "session_state_applied"], files={"type": "array", "items": FILE},
                             session_state_applied=BOOLEAN)),
    "RenderAccepted": obj(["success", "data"], success={"const": True}, data=obj(
        ["id", "status", "progress"], id=STRING, status={"const": "pending"}, progress=NUMBER)),
    "RenderWrapped": obj(["success", "data"], success={"const": True}, data=obj(
        ["id", "status", "progress", "outputUrl"], id=STRING, status=RENDER_STATUS, progress=NUMBER,
        outputUrl=NULLABLE_STRING, createdAt=NULLABLE_STRING, completedAt=NULLABLE_STRING, duration=NUMBER,
        size=INTEGER, error=STRING, outputs=OUTPUTS, languages=LANGUAGES, preview=PREVIEW)),
    "RenderTopLevel": obj(["taskId", "status", "progress"], taskId=STRING, status=RENDER_STATUS, progress=NUMBER,
                          error=STRING, preview=PREVIEW, output=obj(["url"], url=STRING, duration=NUMBER,
                                                                    size=INTEGER, outputs=OUTPUTS,
                                                                    languages=LANGUAGES)),
    "Voices": envelope(obj(
        ["choices", "voices", "problems", "folders"],
        choices={"type": "array", "description": "the voice the agent uses for each language and gender",
                 "items": obj(["language", "gender", "voice", "label", "neural"], language=STRING,
                              language_name=STRING, gender={"enum": ["male", "female"]}, voice=STRING, label=STRING,
                              neural=BOOLEAN)},
        voices={"type": "array", "description": "every voice, the user's installed Piper voices first",
                "items": obj(["id", "language", "gender", "engine", "neural", "label", "source"], id=STRING,
                             name=STRING, language=STRING, language_name=STRING,
                             gender={"enum": ["male", "female", "unknown"]}, engine={"enum": ["piper", "espeak"]},
                             neural=BOOLEAN, kind=STRING, label=STRING,
                             source={"enum": ["installed", "bundled", "espeak-ng"]}, file=STRING,
                             used_for={"type": "array", "items": STRING})},
        problems={"type": "array", "items": STRING, "description": "voice files that cannot be used, and why"},
        folders={"type": "array", "items": STRING, "description": "where installed voices are looked for"})),
}
RENDER_VIEW = {"anyOf": [ref("RenderWrapped"), ref("RenderTopLevel")]}
MESSAGE = obj(["session_id", "new_message"], app_name={"const": "nemo_agent"}, user_id=STRING,
              session_id=SESSION_ID, streaming=BOOLEAN, new_message=obj(["parts"], parts={
                  "type": "array", "minItems": 1, "maxItems": 20,
                  "items": obj(["text"], text={"type": "string", "minLength": 1, "maxLength": 2000})}))
SSE_EVENT = obj(["data"], data=STRING, event=STRING, id=STRING, retry=INTEGER)  # one server-sent event
RENDER_REQUEST = obj(["id", "sessionId", "draft"], id=RENDER_ID, sessionId=SESSION_ID, draft=DRAFT,
                     output=obj([], format={"const": "mp4"}, quality=STRING, language=LANGUAGE, preview=PREVIEW))
URLS = obj(["urls"], urls={"type": "array", "minItems": 1, "maxItems": 10, "items": {"type": "string",
           "format": "uri", "maxLength": 2047}}, source_type={"const": "url"})
FILES = obj(["files"], files={"type": "array", "minItems": 1, "maxItems": 10,
                              "items": {"type": "string", "format": "binary"}})


def operation(op_id: str, summary: str, responses: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
              request: dict[str, Any] | None = None, auth: bool = True, ours: bool = False) -> dict[str, Any]:
    """One operation; ``ours`` marks an operation of our own (not in the cloud's protocol)."""
    out: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": responses}
    if ours:
        out["x-nemo-extension"] = True
    if params:
        out["parameters"] = params
    if request:
        out["requestBody"] = request
    out["security"] = [{"bearer": []}] if auth else []
    return out


def paths() -> dict[str, Any]:
    html = {"text/html": {"schema": STRING}}
    return {
        "/": {"get": operation("health", "Name, version and SSE dialect of the backend", {
            "200": answer("the backend", ref("Health"))} | errors(), auth=False)},
        "/openapi.json": {"get": operation("openapiDocument", "This document", {
            "200": answer("OpenAPI 3.1", {"type": "object"})} | errors(), auth=False, ours=True)},
        "/api/auth/anonymous-token": {"post": operation(
            "anonymousToken", "A token for an anonymous user (one per client id)", {
                "200": answer("a new token", ref("Token"))} | errors(429), auth=False,
            params=[param("X-Client-Id", "header", {"type": "string", "minLength": 1, "maxLength": 128,
                                                     "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"},
                          True)])},
        "/api/auth/claim-token": {"post": operation("claimToken", "A link to claim a session in the web app", {
            "200": answer("a claim token", ref("Claim"))} | errors(401, 404),
            request=body(obj(["session_id"], session_id=SESSION_ID, task_id=STRING)))},
        "/api/tasks/{user}/with-session/{app}": {"post": operation("createSession", "A new session", {
            "200": answer("the task and its session", ref("Task"), links=SESSION_LINKS)} | errors(401, 404),
            params=[USER, APP], request=body(obj([], task_name={"type": "string", "maxLength": 100},
                                                 language=LANGUAGE), required=False))},
        "/api/credits/balance/simple": {"get": operation("creditsBalance", "Credits: available, frozen, total", {
            "200": answer("the balance", ref("Balance"))} | errors(401))},
        "/api/voices": {"get": operation("voices", "Which voice speaks each language and gender, neural or not", {
            "200": answer("the voices", ref("Voices"))} | errors(401), ours=True)},
        "/api/local/credits/add": {"post": operation(
            "addCredits", "Add credits to the caller's balance (offline credits; from this machine only)", {
                "200": answer("the new balance", ref("Balance"))} | errors(401),
            request=body(obj(["credits"], credits={"type": "integer", "minimum": 1, "maximum": MAX_ADD})), ours=True)},
        "/api/state/{app}/{user}/{sid}/latest": {"get": operation("sessionState", "The session's state and draft", {
            "200": answer("the state", ref("State"))} | errors(401, 404), params=[APP, USER, SID])},
        "/api/upload-video/{app}/{user}/{sid}": {"post": operation("upload", "Upload files, or fetch them by URL", {
            "200": answer("the files, added to the session", ref("Uploaded"))} | errors(401, 404, 413, 415),
            params=[APP, USER, SID, IDEMPOTENCY],
            request={"required": True, "content": {"multipart/form-data": {"schema": FILES}, JSON: {"schema": URLS}}})},
        "/run_sse": {"post": operation("runSse", "Send a message; the agent's reply streams as server-sent events", {
            "200": answer("events until the turn ends (each one `data: <json>`; an empty `data:` is a heartbeat)",
                          SSE_EVENT, "text/event-stream")} | errors(401, 403, 404, 409),
            params=[IDEMPOTENCY], request=body(MESSAGE))},
        "/api/render/proxy/lambda": {"post": operation("submitRender", "Render a draft to MP4", {
            "200": answer("queued", ref("RenderAccepted"), links=RENDER_LINKS)}
            | errors(401, 402, 404, 409, 422), params=[*ATTRIBUTION, IDEMPOTENCY], request=body(RENDER_REQUEST))},
        "/api/render/proxy/lambda/{rid}": {"get": operation("renderStatus", "A render's status", {
            "200": answer("the status, in the configured shape", RENDER_VIEW)} | errors(401, 404), params=[RID])},
        "/api/render/proxy/lambda/{rid}/cancel": {"post": operation("cancelRender", "Cancel a pending render", {
            "200": answer("the status after cancelling", RENDER_VIEW)} | errors(401, 404, 409), params=[RID])},
        "/api/render/proxy/{rid}/download": {"get": operation("downloadRender", "The rendered MP4", {
            "200": answer("the MP4", {"type": "string", "format": "binary"}, "video/mp4")} | errors(401, 404, 409),
            params=[RID, param("language", "query", LANGUAGE, False, **{"x-nemo-extension": True})])},
        "/files/{key}/{name}": {"get": operation("serveFile", "A stored file by its secret URL", {
            "200": {"description": "the file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}
            | errors(404), auth=False, params=[param("key", "path", {"type": "string", "maxLength": 100}),
                                               param("name", "path", {"type": "string", "maxLength": 255})],
            ours=True)},
        "/workspace/claim": {"get": operation("claimPage", "The claim page a claim link opens", {
            "200": {"description": "claimed", "content": html}, "404": {"description": "invalid or expired",
                                                                      "content": html}} | errors(),
            auth=False, params=[param("ct", "query", {"type": "string", "maxLength": 200}, False)])},
        "/register": {"get": operation("registerPage", "Where a registration link leads", {
            "200": {"description": "how to get more credits here", "content": html}} | errors(), auth=False,
            params=[param("bind", "query", {"type": "string", "maxLength": 200}, False)])},
    }


def document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``server_url`` names the backend serving it."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "NemoVideo protocol (nemo_nb embedded backend)", "version": __version__,
                 "description": "The protocol of docs/protocol.md as the embedded backend serves it. JSON answers "
                                "are {code, message, data}; code 0 is success. Error codes and their HTTP statuses "
                                "are listed in nemo_nb/local/errors.py. Any request whose Host is not this server "
                                "(localhost, 127.0.0.1 or [::1] with its port), or that a browser sends from an "
                                "origin not allowed, is refused with 403 (4003); allowed origins also get CORS "
                                "answers, preflight (OPTIONS) included."},
        "paths": paths(),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "a token from /api/auth/anonymous-token"}}},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


async def serve(request: Any) -> Any:
    """``GET /openapi.json``: the document with this backend as its server."""
    from starlette.responses import JSONResponse

    return JSONResponse(document(request.app.state.backend.public_url))


if __name__ == "__main__":
    print(json.dumps(document(), indent=2))
