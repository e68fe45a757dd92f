"""``%nemo`` / ``%%nemo``: parse the line, route, and display. The work happens in ``nemo_nb.api``.

::

    %load_ext nemo_nb
    %nemo connect --local                  # or: %nemo connect  (cloud)
    %nemo upload clip.mp4
    %%nemo
    add my clip to the timeline
    %nemo status
    %nemo export

Options (``%config NemoMagics.<name> = …``, or the environment variable in brackets): see
``NemoMagics``'s traits; ``%nemo help`` lists the commands.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import glob
import json
import os
import queue
import re
import shlex
import time
from pathlib import Path
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.display import display
from traitlets import Bool, Dict, Float, Int, TraitError, Unicode, default, validate

from nemo_nb.notebook._fmt import CARD, MUTED, esc, md_esc, seconds_text
from nemo_nb.notebook.errors import NOT_CONNECTED, NemoCellError, short

COMMANDS = ("connect", "disconnect", "new", "sessions", "use", "upload", "status", "credits", "export", "claim",
            "compare", "help")
USAGE = """\
%nemo connect [--local] [--url URL] [--skill NAME] [--language xx] [--data-dir DIR]
%nemo new [NAME] [--language xx]      %nemo sessions      %nemo use NAME_OR_ID      %nemo disconnect
%nemo upload PATH…   %nemo status   %nemo credits   %nemo export [--to PATH] [--resume]   (each: [--out VAR])
%nemo claim                           a button that opens the workspace claim link (never saved in the notebook)
%%nemo [--session NAME] [--out VAR] [--quiet]      the cell is one message; {{var}} inserts a Python value
%%nemo compare [--no-export] [--out VAR]           one prompt per line, each in its own session, concurrently
%nemo compare --from VAR [--no-export] [--out VAR] VAR: a list of prompts
Options: %config NemoMagics.embed_limit_mb = 10  (also skill, language, quiet, export_dir, show_tracebacks,
redraw_hz, show_timeline, claim_link, compare_concurrency, backend_options); %config NemoMagics shows them all."""

# The embedded backend started by "%nemo connect --local" renders a few jobs at once (so the variants of
# a compare do not queue behind each other) and is polled often: on loopback a poll costs ~1 ms.
LOCAL_RENDER_WORKERS = max(1, min(4, os.cpu_count() or 1))


def local_timings() -> Any:
    from nemo_nb.api import Timings

    return Timings(render_poll_min_s=0.1, render_poll_max_s=1.0, drop_poll_s=0.5)


_VAR = re.compile(r"(\\?)\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")


def _env(name: str, default: Any, kind: type) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if kind is bool:
        return raw.strip().lower() not in ("0", "false", "no", "off")
    try:
        return kind(raw)
    except ValueError:
        return default


def _value_text(value: Any) -> str:
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
        return _value_text(value)

    return _VAR.sub(replace, text)


class _Parser(argparse.ArgumentParser):
    """argparse that fails with a short cell error instead of exiting."""

    def __init__(self, prog: str, **kw: Any):
        super().__init__(prog=prog, add_help=True, allow_abbrev=False, **kw)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise NemoCellError(f"{self.prog}: {message}.", "Usage: " + " ".join(self.format_usage().split()[1:]))

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise _HelpShown()


class _HelpShown(Exception):
    pass


def _parser(command: str) -> _Parser:
    p = _Parser(f"%nemo {command}")
    if command == "connect":
        p.add_argument("--local", action="store_true", help="start the embedded backend (offline)")
        p.add_argument("--url", help="API base URL (default: NEMO_API_URL or the cloud)")
        p.add_argument("--skill", help="skill profile for the attribution headers")
        p.add_argument("--language", help="language of new sessions, e.g. en")
        p.add_argument("--data-dir", help="the embedded backend's data folder (default: NEMO_DATA_DIR)")
    elif command == "new":
        p.add_argument("name", nargs="?")
        p.add_argument("--language")
    elif command == "use":
        p.add_argument("session")
    elif command == "upload":
        p.add_argument("paths", nargs="+")
    elif command == "export":
        p.add_argument("--to", help="where to save the MP4")
        p.add_argument("--resume", action="store_true", help="pick up a render started earlier")
    elif command == "compare":
        p.add_argument("--from", dest="source", help="a variable holding a list of prompts")
        p.add_argument("--no-export", action="store_true", help="compare replies and timelines only")
    if command in ("upload", "status", "credits", "export", "compare", "message", "new", "use"):
        p.add_argument("--out", help="store the result in this variable")
    if command in ("upload", "status", "export", "compare", "message", "claim"):
        p.add_argument("--session", help="a session name or id (default: the current one)")
    if command in ("upload", "status", "credits", "export", "compare", "message"):
        p.add_argument("--quiet", action="store_true", default=None, help="no output (use --out)")
    return p


@magics_class
class NemoMagics(Magics):
    """The ``%nemo`` magics. Options are traits: ``%config NemoMagics.embed_limit_mb = 25``."""

    embed_limit_mb = Float(help="embed exported videos up to this size (MB) in the notebook; larger ones are "
                                "referenced by path or URL [NEMO_EMBED_LIMIT_MB]").tag(config=True)
    skill = Unicode(None, allow_none=True, help="skill profile of the attribution headers [NEMO_SKILL]"
                    ).tag(config=True)
    language = Unicode(help="language of new sessions [NEMO_LANGUAGE]").tag(config=True)
    quiet = Bool(help="no live output by default; results go to --out variables [NEMO_QUIET]").tag(config=True)
    export_dir = Unicode(help="where %nemo export and compare save MP4s [NEMO_EXPORT_DIR]").tag(config=True)
    show_tracebacks = Bool(help="show full tracebacks instead of short errors [NEMO_SHOW_TRACEBACKS]").tag(config=True)
    redraw_hz = Float(help="live views redraw at most this often per second [NEMO_REDRAW_HZ]").tag(config=True)
    show_timeline = Bool(help="after a reply that changed the timeline, show its picture [NEMO_SHOW_TIMELINE]"
                         ).tag(config=True)
    claim_link = Bool(help="show the claim button (a live widget) under exports [NEMO_CLAIM_LINK]").tag(config=True)
    compare_concurrency = Int(help="variants of %nemo compare running at once [NEMO_COMPARE_CONCURRENCY]"
                              ).tag(config=True)
    backend_options = Dict(help="extra settings of the embedded backend started by %nemo connect --local, "
                                "e.g. {'credits': 500}").tag(config=True)

    @default("embed_limit_mb")
    def _default_embed(self) -> float:
        return _env("NEMO_EMBED_LIMIT_MB", 10.0, float)

    @default("skill")
    def _default_skill(self) -> str | None:
        return os.environ.get("NEMO_SKILL") or None

    @default("language")
    def _default_language(self) -> str:
        return os.environ.get("NEMO_LANGUAGE") or "en"

    @default("quiet")
    def _default_quiet(self) -> bool:
        return _env("NEMO_QUIET", False, bool)

    @default("export_dir")
    def _default_export_dir(self) -> str:
        return os.environ.get("NEMO_EXPORT_DIR") or "nemo_exports"

    @default("show_tracebacks")
    def _default_tracebacks(self) -> bool:
        return _env("NEMO_SHOW_TRACEBACKS", False, bool)

    @default("redraw_hz")
    def _default_redraw(self) -> float:
        return _env("NEMO_REDRAW_HZ", 10.0, float)

    @default("show_timeline")
    def _default_show_timeline(self) -> bool:
        return _env("NEMO_SHOW_TIMELINE", True, bool)

    @default("claim_link")
    def _default_claim(self) -> bool:
        return _env("NEMO_CLAIM_LINK", True, bool)

    @default("compare_concurrency")
    def _default_concurrency(self) -> int:
        return _env("NEMO_COMPARE_CONCURRENCY", 4, int)

    @validate("embed_limit_mb")
    def _check_embed(self, proposal: Any) -> float:
        if proposal["value"] < 0:
            raise TraitError("embed_limit_mb must be 0 or more")
        return proposal["value"]

    @validate("redraw_hz")
    def _check_redraw(self, proposal: Any) -> float:
        if not 0 < proposal["value"] <= 60:
            raise TraitError("redraw_hz must be between 0 and 60")
        return proposal["value"]

    @validate("compare_concurrency")
    def _check_concurrency(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError("compare_concurrency must be at least 1")
        return proposal["value"]

    @validate("skill")
    def _check_skill(self, proposal: Any) -> str | None:
        if proposal["value"]:
            from nemo_nb.config import skill_profile

            try:
                skill_profile(proposal["value"])
            except ValueError as exc:
                raise TraitError(str(exc)) from None
        return proposal["value"]

    def __init__(self, shell: Any = None, **kw: Any):
        super().__init__(shell=shell, **kw)
        self.nemo: Any = None              # nemo_nb.api.Nemo
        self.is_local = False
        self._sessions: dict[str, Any] = {}   # id -> Session
        self._names: dict[str, str] = {}      # name -> id
        self._current: str | None = None
        self._uploads: dict[str, list[Path]] = {}  # session id -> local files uploaded through the magics
        self.last_prompt: str | None = None   # the text of the last message sent (after {{var}})
        self._atexit = False
        self._deferred: _LastOnly | None = None

    # -- entry point -------------------------------------------------------------------------------
    @no_var_expand
    @line_cell_magic
    def nemo(self, line: str, cell: str | None = None) -> None:
        """NemoVideo from the notebook. ``%nemo help`` lists the commands."""
        self._deferred = _LastOnly() if type(self.shell).__name__ == "TerminalInteractiveShell" else None
        try:
            self._dispatch(line, cell)
        except _HelpShown:
            return
        except (NemoCellError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if self.show_tracebacks:
                raise
            raise short(exc) from None
        finally:
            if self._deferred is not None:
                self._deferred.flush()
            self._deferred = None

    @property
    def _out(self) -> Any:
        """How views display: in place in a kernel (None: IPython's display); in a terminal, which
        cannot update an output in place, only the last version (``_LastOnly``)."""
        return self._deferred

    def _dispatch(self, line: str, cell: str | None) -> None:
        ns = self.shell.user_ns if self.shell is not None else {}
        try:
            tokens = shlex.split(substitute(line, ns), posix=os.name != "nt")
        except ValueError as exc:
            raise NemoCellError(f"Could not read the magic's line: {exc}.", "Check the quotes.") from None
        if cell is not None:
            if tokens and tokens[0] == "compare":
                return self._compare(tokens[1:], cell)
            return self._cell_message(tokens, cell)
        if not tokens or tokens[0] in ("help", "-h", "--help"):
            return self._help()
        command, args = tokens[0], tokens[1:]
        if command not in COMMANDS:
            hint = ("To send a message, put it in a cell under %%nemo." if len(tokens) > 1
                    else "Commands: " + ", ".join(COMMANDS) + " (%nemo help).")
            raise NemoCellError(f"Unknown command {command!r}.", hint)
        return getattr(self, f"_cmd_{command}")(args)

    def _help(self) -> None:
        display({"text/plain": USAGE, "text/html": f'<pre style="font-size:12px">{esc(USAGE)}</pre>'}, raw=True)

    # -- helpers -----------------------------------------------------------------------------------
    def _client(self) -> Any:
        if self.nemo is None:
            raise NOT_CONNECTED
        return self.nemo

    def _register(self, session: Any, name: str | None = None, *, current: bool = True) -> None:
        self._sessions[session.id] = session
        if name:
            self._names[name] = session.id
        if current:
            self._current = session.id

    def _sync_ids(self) -> None:
        """After a lost session (1002) the client moved a Session to a new id: follow it."""
        for old, session in list(self._sessions.items()):
            if session.id != old:
                del self._sessions[old]
                self._sessions[session.id] = session
                self._names = {n: (session.id if i == old else i) for n, i in self._names.items()}
                if self._current == old:
                    self._current = session.id

    def _resolve(self, name: str) -> Any:
        """A known session by name or id, or one the server knows by id."""
        self._client()
        sid = self._names.get(name, name)
        if sid in self._sessions:
            return self._sessions[sid]
        unknown = NemoCellError(f"Unknown session {name!r}.",
                                "%nemo sessions lists this notebook's sessions; %nemo new [NAME] makes one.")
        if not re.fullmatch(r"[\w-]{1,64}", name) or not any(ch.isdigit() for ch in name):
            raise unknown
        from nemo_nb.api.errors import SessionNotFound

        try:
            session = self.nemo.session(name)
        except SessionNotFound:
            raise unknown from None
        self._register(session, current=False)
        return session

    def _session(self, name: str | None = None) -> Any:
        self._client()
        self._sync_ids()
        if name:
            return self._resolve(name)
        if self._current is None or self._current not in self._sessions:
            raise NemoCellError("No session in use.", "Make one with %nemo new, or pick one with %nemo use ID.")
        return self._sessions[self._current]

    def _name_of(self, sid: str) -> str:
        names = [n for n, i in self._names.items() if i == sid and n != sid]
        return names[0] if names else ""

    def _label(self, session: Any) -> str:
        name = self._name_of(session.id)
        return f"session {session.id}" + (f" ({name})" if name else "")

    def _store(self, out: str | None, value: Any) -> None:
        if not out:
            return
        if not _IDENT.match(out):
            raise NemoCellError(f"--out {out}: not a Python variable name.")
        if self.shell is not None:
            self.shell.user_ns[out] = value

    def _quiet(self, flag: bool | None) -> bool:
        return self.quiet if flag is None else flag

    def _close(self) -> None:
        nemo, self.nemo = self.nemo, None
        self._sessions.clear()
        self._names.clear()
        self._uploads.clear()
        self._current = None
        if nemo is not None:
            with contextlib.suppress(Exception):  # closing must not fail a cell or the interpreter's exit
                nemo.close()

    # -- connection and sessions -----------------------------------------------------------------------
    def _cmd_connect(self, argv: list[str]) -> None:
        args = _parser("connect").parse_args(argv)
        if args.local and args.url:
            raise NemoCellError("Use either --local or --url, not both.")
        from nemo_nb.api import Nemo
        from nemo_nb.config import skill_profile

        skill = args.skill or self.skill
        try:
            skill_profile(skill)
        except ValueError as exc:
            raise NemoCellError(str(exc).capitalize() + ".") from None
        language = args.language or self.language
        self._close()
        kw: dict[str, Any] = {"skill": skill, "language": language}
        if args.local:
            data_dir = Path(args.data_dir).expanduser() if args.data_dir else None
            options = {"render_workers": LOCAL_RENDER_WORKERS, **self.backend_options}
            nemo = Nemo.local(data_dir, backend_options=options, timings=local_timings(), **kw)
        else:
            nemo = Nemo(args.url or None, **kw)
        try:
            session = nemo.session()
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to show
                nemo.close()
            raise
        self.nemo, self.is_local = nemo, bool(args.local)
        self._register(session)
        if not self._atexit:
            atexit.register(self._close)
            self._atexit = True
        backend = nemo.aio.backend
        where = (f"the embedded backend at {nemo.api_url} (offline; data in {backend.data_dir})"
                 if args.local and backend is not None else nemo.api_url)
        text = f"Connected to {where} · skill {nemo.aio.skill.name} · {self._label(session)} is in use."
        next_step = "Next: %nemo upload PATH, then a %%nemo cell with what you want."
        display({"text/plain": f"{text}\n{next_step}", "text/markdown": f"{md_esc(text)}\n\n{md_esc(next_step)}",
                 "text/html": f'<div class="nemo-connect" style="{CARD}">✓ {esc(text)}'
                              f'<div style="{MUTED}">{esc(next_step)}</div></div>'}, raw=True)

    def _cmd_disconnect(self, argv: list[str]) -> None:
        _parser("disconnect").parse_args(argv)
        was = self.nemo is not None
        self._close()
        display({"text/plain": "Disconnected." if was else "Not connected."}, raw=True)

    def _cmd_new(self, argv: list[str]) -> None:
        args = _parser("new").parse_args(argv)
        nemo = self._client()
        if args.name and args.name in self._names:
            raise NemoCellError(f"A session is already named {args.name!r}.", "Pick another name, or %nemo use it.")
        session = nemo.session(language=args.language or self.language)
        self._register(session, args.name)
        self._store(args.out, session)
        text = f"New {self._label(session)} is in use. Upload media with %nemo upload PATH."
        display({"text/plain": text, "text/html": f'<div style="{CARD}">{esc(text)}</div>'}, raw=True)

    def _cmd_use(self, argv: list[str]) -> None:
        args = _parser("use").parse_args(argv)
        session = self._resolve(args.session)
        self._current = session.id
        self._store(args.out, session)
        text = f"Now using {self._label(session)}."
        display({"text/plain": text, "text/html": f'<div style="{CARD}">{esc(text)}</div>'}, raw=True)

    def _cmd_sessions(self, argv: list[str]) -> None:
        _parser("sessions").parse_args(argv)
        self._client()
        self._sync_ids()
        rows = []
        for sid, session in self._sessions.items():
            files = [p.name for p in self._uploads.get(sid, [])]
            rows.append(("▶" if sid == self._current else "", sid, self._name_of(sid), ", ".join(files),
                         session.draft.summary()))
        head = ("", "id", "name", "uploaded here", "timeline (last seen)")
        html = ('<table class="nemo-sessions" style="font:13px sans-serif"><tr>'
                + "".join(f"<th>{h}</th>" for h in head)
                + "</tr>" + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
                + "</table>")
        plain = "\n".join(f"{r[0] or ' '} {r[1]}  {r[2]}  {r[3]}  {r[4]}" for r in rows) or "No sessions."
        display({"text/plain": plain, "text/html": html}, raw=True)

    # -- uploads, status, credits ------------------------------------------------------------------
    def _cmd_upload(self, argv: list[str]) -> None:
        args = _parser("upload").parse_args(argv)
        self._upload(self._session(args.session), args.paths, args.out, self._quiet(args.quiet))

    @staticmethod
    def _expand(raw: list[str]) -> list[Path]:
        paths: list[Path] = []
        for item in raw:
            expanded = os.path.expanduser(item)
            matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) and not os.path.exists(expanded) else []
            paths += [Path(m) for m in matches] or [Path(expanded)]
        return paths

    def _upload(self, session: Any, raw_paths: list[str] | tuple[str, ...], out: str | None, quiet: bool) -> None:
        from nemo_nb.notebook.preview import ProgressView

        paths = self._expand(list(raw_paths))
        label = f"Uploading {', '.join(p.name for p in paths)}"
        bar = None if quiet else ProgressView(label, rate=self.redraw_hz, display=self._out).start()
        try:
            files = session.upload(*paths, progress=(lambda sent, total: bar.update(sent / total if total else 1))
                                   if bar else None)
        except BaseException as exc:
            if bar:
                bar.fail(str(exc).split("\n")[0][:200])
            raise
        self._sync_ids()
        known = self._uploads.setdefault(session.id, [])
        known += [p.resolve() for p in paths if p.resolve() not in known]
        self._store(out, files)
        if bar:
            bar.replace(_uploads_bundle(files, self._label(session)))

    def _cmd_status(self, argv: list[str]) -> None:
        args = _parser("status").parse_args(argv)
        self._status(self._session(args.session), args.out, self._quiet(args.quiet))

    def _status(self, session: Any, out: str | None, quiet: bool) -> None:
        from nemo_nb.notebook.timeline import TimelineView

        state = session.state()
        self._sync_ids()
        self._store(out, state)
        if not quiet:
            display(TimelineView(state.draft, title=self._label(session), media=state.video_infos))

    def _cmd_credits(self, argv: list[str]) -> None:
        args = _parser("credits").parse_args(argv)
        self._credits(args.out, self._quiet(args.quiet))

    def _credits(self, out: str | None, quiet: bool) -> None:
        credits = self._client().credits()
        self._store(out, credits)
        if quiet:
            return
        text = f"Credits: {credits}"
        extra = ""
        if credits.available == 0:
            extra = f"Out of credits: register to get more — {self.nemo.registration_url()}"
        display({"text/plain": "\n".join(x for x in (text, extra) if x),
                 "text/html": f'<div class="nemo-credits" style="{CARD}">{esc(text)}'
                              + (f'<div style="{MUTED}">{esc(extra)}</div>' if extra else "") + "</div>"}, raw=True)

    # -- export ----------------------------------------------------------------------------------------
    def _cmd_export(self, argv: list[str]) -> None:
        args = _parser("export").parse_args(argv)
        self._export(self._session(args.session), args.to, args.resume, args.out, self._quiet(args.quiet))

    def _export_path(self, session: Any, to: str | None, resume: bool) -> Path:
        if to:
            path = Path(os.path.expanduser(to))
            return path / f"nemo_{session.id}.mp4" if path.is_dir() else path
        if resume:
            pending = self.nemo.aio.pending.get(session.id)
            if pending and pending.get("path"):
                return Path(pending["path"])
        return Path(self.export_dir).expanduser() / f"nemo_{session.id}_{time.strftime('%Y%m%d-%H%M%S')}.mp4"

    def _export(self, session: Any, to: str | None, resume: bool, out: str | None, quiet: bool) -> None:
        from nemo_nb.notebook.preview import ExportView, ProgressView

        path = self._export_path(session, to, resume)
        bar = None if quiet else ProgressView("Rendering", rate=self.redraw_hz, display=self._out).start()
        try:
            result = session.export(path, progress=(lambda pct: bar.update(pct / 100)) if bar else None, resume=resume)
        except BaseException as exc:
            if bar:
                bar.fail(str(exc).split("\n")[0][:200])
            raise
        self._sync_ids()
        self._store(out, result)
        if bar is None:
            return
        bar.replace(ExportView(result, limit_mb=self.embed_limit_mb).bundle())
        if self.claim_link:
            self._claim(session)

    def _cmd_claim(self, argv: list[str]) -> None:
        args = _parser("claim").parse_args(argv)
        self._claim(self._session(args.session), explicit=True)

    def _claim(self, session: Any, explicit: bool = False) -> None:
        """The claim button (a live widget: the link, which holds a claim code, is never saved in an
        output). In a terminal there is no notebook to save: the link is printed when asked for."""
        if type(self.shell).__name__ == "TerminalInteractiveShell":
            if explicit:
                print(f"Claim link (one-time code, valid 7 days): {session.claim_link()}")
            return
        try:
            from nemo_nb.notebook.preview import ClaimButton

            button = ClaimButton(session.claim_link)
        except ImportError:
            if explicit:
                raise NemoCellError("The claim button needs ipywidgets.", "pip install ipywidgets") from None
            return
        display(button)

    # -- messages ----------------------------------------------------------------------------------------
    def _cell_message(self, tokens: list[str], cell: str) -> None:
        args = _parser("message").parse_args(tokens)
        text = substitute(cell, self.shell.user_ns if self.shell is not None else {}).strip()
        if not text:
            raise NemoCellError("The cell is empty.",
                                "Write the message under %%nemo, e.g. 'add my clip to the timeline'.")
        session = self._session(args.session)
        quiet = self._quiet(args.quiet)
        from nemo_nb.routing import route

        intent = route(text)
        if intent.action == "export":
            return self._export(session, None, False, args.out, quiet)
        if intent.action == "credits":
            return self._credits(args.out, quiet)
        if intent.action == "status":
            return self._status(session, args.out, quiet)
        if intent.action == "upload":
            if not intent.paths:
                raise NemoCellError("Say which file to upload.", "For example: upload clip.mp4")
            return self._upload(session, list(intent.paths), args.out, quiet)
        return self._send(session, text, args.out, quiet)

    def _send(self, session: Any, text: str, out: str | None, quiet: bool) -> None:
        from nemo_nb.notebook.live import LiveReply
        from nemo_nb.notebook.timeline import timeline_svg

        self.last_prompt = text
        live = None if quiet else LiveReply(text, rate=self.redraw_hz, header=self._label(session),
                                            display=self._out).start()
        try:
            reply = session.send(text, on_event=live.on_event if live else None,
                                 on_still_working=live.on_still_working if live else None)
        except KeyboardInterrupt:
            if live:
                live.fail("Interrupted. The message was not re-sent; the turn may still finish on the server "
                          "(check with %nemo status).")
            raise
        except BaseException as exc:
            if live:
                live.fail(str(short(exc)).split("\n")[0])
            raise
        self._sync_ids()
        self._store(out, reply)
        if live is None:
            return
        if self.show_timeline and reply.changes and reply.draft_after is not None:
            summary = reply.draft_after.summary()
            live.finish(reply, extra_html=f'<div style="margin-top:6px">{timeline_svg(reply.draft_after)}</div>'
                                          f'<div style="{MUTED}">{esc(summary)}</div>',
                        extra_text=summary, timeline_shown=True)
        else:
            live.finish(reply)

    # -- compare ---------------------------------------------------------------------------------------
    def _cmd_compare(self, argv: list[str]) -> None:
        args = _parser("compare").parse_args(argv)
        if not args.source:
            raise NemoCellError("%nemo compare needs prompts.",
                                "Use a %%nemo compare cell with one prompt per line, or %nemo compare --from VAR.")
        self._compare(argv, None)

    def _compare(self, argv: list[str], cell: str | None) -> None:
        from nemo_nb.api.sync import LoopThread
        from nemo_nb.notebook.compare import CompareStatus, run_compare

        args = _parser("compare").parse_args(argv)
        ns = self.shell.user_ns if self.shell is not None else {}
        if args.source:
            if cell and cell.strip():
                raise NemoCellError("Give the prompts either in the cell or with --from, not both.")
            if args.source not in ns:
                raise NemoCellError(f"--from {args.source}: there is no variable {args.source} in the notebook.")
            value = ns[args.source]
            if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
                    not all(isinstance(p, str) for p in value):
                raise NemoCellError(f"--from {args.source}: expected a list of prompts (strings).")
            prompts = [substitute(p, ns).strip() for p in value]
        else:
            prompts = [substitute(line, ns).strip() for line in (cell or "").splitlines()]
            prompts = [p for p in prompts if p and not p.startswith("#")]
        prompts = [p for p in prompts if p]
        if not prompts:
            raise NemoCellError("No prompts to compare.", "Write one prompt per line under %%nemo compare.")
        base = self._session(args.session)
        paths = list(self._uploads.get(base.id, []))
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise NemoCellError(f"{missing[0]} is gone: the variants re-upload the files of {self._label(base)}.",
                                "Put the file back, or upload another with %nemo upload.")
        quiet = self._quiet(args.quiet)
        status = None if quiet else CompareStatus(prompts, rate=self.redraw_hz, display=self._out).start()
        relay: queue.SimpleQueue = queue.SimpleQueue()
        notify = (lambda i, s: relay.put((status.set, (i, s)))) if status else None
        export_dir = None if args.no_export else Path(self.export_dir).expanduser()
        result = LoopThread.get().run(
            run_compare(self.nemo.aio, prompts, paths, export_dir=export_dir, notify=notify,
                        concurrency=self.compare_concurrency), relay)
        result.limit_mb = self.embed_limit_mb
        taken = {int(n.rsplit("-", 1)[1]) for n in self._names if re.fullmatch(r"compare-\d+", n)}
        start = max(taken, default=0)
        from nemo_nb.api import Session

        for k, v in enumerate(result.variants, 1):
            if v.session is not None:  # "%nemo use compare-2" carries on with a variant
                self._register(Session(v.session, LoopThread.get()), f"compare-{start + k}", current=False)
                self._uploads[v.session.id] = list(paths)
        self._store(args.out, result)
        if status:
            status.replace(result.bundle())
        if result.failed:
            first = result.failed[0]
            raise NemoCellError(f"{len(result.failed)} of {len(result.variants)} variants failed "
                                f"(variant {first.index + 1}: {first.error.splitlines()[0]}).",
                                "The grid above shows every variant; the others finished.")


class _LastOnly:
    """A ``display`` for shells that cannot update an output in place (IPython in a terminal): keeps
    the latest version of a live view and shows it once, when the magic ends."""

    def __init__(self) -> None:
        self.last: Any = None

    def __call__(self, obj: Any, **kw: Any) -> _LastOnly:
        self.last = obj
        return self

    def update(self, obj: Any, **kw: Any) -> None:
        self.last = obj

    def flush(self) -> None:
        if self.last is not None:
            display(self.last, raw=True)
        self.last = None


def _uploads_bundle(files: list[Any], label: str) -> dict[str, str]:
    rows = []
    for f in files:
        dims = f"{f.width}×{f.height}" if f.width and f.height else ""
        rows.append((f.filename, f.file_type, seconds_text(f.duration) if f.duration else "", dims,
                     f"{f.fps:g} fps" if f.fps else ""))
    head = f"Uploaded to {label}:"
    html = (f'<div class="nemo-upload" style="{CARD}"><div style="{MUTED}">{esc(head)}</div>'
            '<table style="font:13px sans-serif">' + "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table></div>")
    plain = head + "\n" + "\n".join("  " + "  ".join(c for c in r if c) for r in rows)
    return {"text/plain": plain, "text/html": html}
