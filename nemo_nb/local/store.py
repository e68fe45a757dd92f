"""SQLite (WAL) state of the embedded backend: users, tokens, credits, sessions, turns, media, renders.

One connection guarded by a lock; every call is one short transaction. Rows come back as the typed
records of ``records.py`` (which alone decodes their JSON columns). Tokens and claim tokens are stored
as SHA-256 hashes only. The database file is made 0600 before SQLite opens it (its WAL and shared-memory
files take the same mode).
"""
from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nemo_nb.local.records import (
    Claim,
    Media,
    Remembered,
    Render,
    Session,
    Token,
    Turn,
    column_values,
    encode_fields,
    from_json,
    from_row,
    from_rows,
    to_json,
)
from nemo_nb.local.schema import RENDER_VIEW, prepare

RENDER_FIELDS = frozenset(RENDER_VIEW.split(", "))
# Queries built from constant column lists (never from input).
RENDER_BY_KEY = f"SELECT {RENDER_VIEW} FROM renders WHERE key=?"  # noqa: S608
RENDER_BY_ID = f"SELECT {RENDER_VIEW} FROM renders WHERE id=? AND user_id=?"  # noqa: S608
RENDER_BY_URL_KEY = f"SELECT {RENDER_VIEW} FROM renders WHERE url_key=? AND status='completed'"  # noqa: S608
COMPLETED_RENDERS = f"SELECT {RENDER_VIEW} FROM renders WHERE status='completed'"  # noqa: S608
TOKENS_SINCE = {column: f"SELECT * FROM tokens WHERE {column}=? AND created_at>=? ORDER BY created_at"  # noqa: S608
                for column in ("client_id", "ip")}

EMPTY_STATE = {"draft": {"t": [], "m": {}}, "video_infos": [], "canvas_config": {},
               "generated_media": [], "video_analyses": []}
UNDO_DEPTH = 50  # states kept per session for undo


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_id(prefix: str, nbytes: int = 12) -> str:
    return f"{prefix}{secrets.token_hex(nbytes)}"


def private_file(path: Path) -> None:
    """Create ``path`` (if missing) readable by its owner only, and tighten it if it is looser."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


class Store:
    """The backend's persistent state. Safe to share between threads."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()
        private_file(path)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        prepare(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            rows: list[sqlite3.Row] = self._db.execute(sql, args).fetchall()
            return rows

    # -- users and tokens -----------------------------------------------------------------------
    def user_for_client(self, client_id: str, starting_credits: int) -> str:
        """The user bound to a client id, made on first sight (a new token keeps the same user)."""
        with self._tx() as db:
            row = db.execute("SELECT id FROM users WHERE client_id=?", (client_id,)).fetchone()
            if row:
                known: str = row["id"]
                return known
            user_id = new_id("anon_", 8)
            db.execute("INSERT INTO users VALUES (?,?,?,?)", (user_id, client_id, time.time(), starting_credits))
            return user_id

    def tokens_since(self, column: str, value: str, since: float) -> list[Token]:
        """Tokens made since ``since`` for a ``client_id`` or an ``ip``, oldest first."""
        return from_rows(Token, self._all(TOKENS_SINCE[column], value, since))

    def add_token(self, token: str, user_id: str, client_id: str, ip: str, ttl_s: float) -> float:
        now = time.time()
        with self._tx() as db:
            db.execute("INSERT INTO tokens (hash,user_id,client_id,ip,created_at,expires_at) VALUES (?,?,?,?,?,?)",
                       (hash_secret(token), user_id, client_id, ip, now, now + ttl_s))
        return now + ttl_s

    def use_token(self, token: str, max_uses: int = 0) -> str | None:
        """The user of a live token (counting the use), or None when unknown, revoked or expired."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM tokens WHERE hash=?", (hash_secret(token),)).fetchone()
            if not row or row["revoked"] or row["expires_at"] <= time.time():
                return None
            if max_uses and row["uses"] >= max_uses:
                db.execute("UPDATE tokens SET revoked=1 WHERE hash=?", (row["hash"],))
                return None
            db.execute("UPDATE tokens SET uses=uses+1 WHERE hash=?", (row["hash"],))
            user_id: str = row["user_id"]
            return user_id

    # -- credits ------------------------------------------------------------------------------
    def balance(self, user_id: str) -> dict[str, int]:
        with self._lock:
            start = self._db.execute("SELECT starting_credits FROM users WHERE id=?", (user_id,)).fetchone()
            spent = self._db.execute("SELECT COALESCE(SUM(delta),0) FROM ledger WHERE user_id=?",
                                     (user_id,)).fetchone()[0]
            frozen = self._db.execute("SELECT COALESCE(SUM(amount),0) FROM holds WHERE user_id=?",
                                      (user_id,)).fetchone()[0]
        available = (start["starting_credits"] if start else 0) + spent - frozen
        return {"available": available, "frozen": frozen, "total": available + frozen}

    def hold(self, user_id: str, amount: int, ref: str) -> bool:
        """Freeze ``amount`` credits for work in progress; False when they are not there."""
        with self._tx():
            if self.balance(user_id)["available"] < amount:
                return False
            self._db.execute("INSERT INTO holds VALUES (?,?,?,?)", (ref, user_id, amount, time.time()))
            return True

    def settle(self, ref: str, charge: int | None, reason: str) -> None:
        """Release a hold; charge ``charge`` credits (None: the held amount, 0: nothing)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM holds WHERE id=?", (ref,)).fetchone()
            if not row:
                return
            db.execute("DELETE FROM holds WHERE id=?", (ref,))
            amount = row["amount"] if charge is None else charge
            if amount:
                db.execute("INSERT INTO ledger (user_id,delta,reason,ref,created_at) VALUES (?,?,?,?,?)",
                           (row["user_id"], -amount, reason, ref, time.time()))

    def ledger(self, user_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._all("SELECT * FROM ledger WHERE user_id=? ORDER BY id", user_id)]

    # -- sessions and state -------------------------------------------------------------------
    def create_session(self, user_id: str, task_name: str, language: str) -> dict[str, Any]:
        with self._tx() as db:
            while True:
                session_id = str(secrets.randbelow(9 * 10**15) + 10**15)
                if not db.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone():
                    break
            task_id = new_id("task_", 10)
            db.execute("INSERT INTO sessions (id,task_id,user_id,task_name,language,created_at,state) "
                       "VALUES (?,?,?,?,?,?,?)",
                       (session_id, task_id, user_id, task_name, language, time.time(), to_json(EMPTY_STATE)))
        return {"task_id": task_id, "session_id": session_id, "user_id": user_id}

    def session(self, session_id: str, user_id: str) -> Session | None:
        """The session when it exists and belongs to ``user_id``; else None (never leak which)."""
        return from_row(Session, self._one("SELECT * FROM sessions WHERE id=? AND user_id=?", session_id, user_id))

    def delete_session(self, session_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
            db.execute("DELETE FROM draft_history WHERE session_id=?", (session_id,))

    def save_state(self, session_id: str, state: dict[str, Any], history: bool = True) -> int:
        """Store a new state, keeping the previous one for undo (unless ``history`` is False)."""
        with self._tx() as db:
            row = db.execute("SELECT state, state_version FROM sessions WHERE id=?", (session_id,)).fetchone()
            if not row:
                return -1
            version: int = row["state_version"] + 1
            if history:
                db.execute("INSERT OR REPLACE INTO draft_history VALUES (?,?,?)",
                           (session_id, row["state_version"], row["state"]))
                db.execute("DELETE FROM draft_history WHERE session_id=? AND version<?",
                           (session_id, version - UNDO_DEPTH))
            db.execute("UPDATE sessions SET state=?, state_version=? WHERE id=?",
                       (to_json(state), version, session_id))
            return version

    def previous_state(self, session_id: str) -> dict[str, Any] | None:
        """Pop the state before the current one (for undo)."""
        with self._tx() as db:
            row = db.execute("SELECT version, state FROM draft_history WHERE session_id=? "
                             "ORDER BY version DESC LIMIT 1", (session_id,)).fetchone()
            if not row:
                return None
            db.execute("DELETE FROM draft_history WHERE session_id=? AND version=?", (session_id, row["version"]))
            state: dict[str, Any] = from_json(row["state"], dict)
            return state

    # -- turns --------------------------------------------------------------------------------
    def start_turn(self, session_id: str, message: str, idempotency_key: str | None) -> str | None:
        """Record a running turn; None when one is already running in this session."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM turns WHERE session_id=? AND status='running'", (session_id,)).fetchone():
                return None
            turn_id = new_id("turn_", 8)
            db.execute("INSERT INTO turns (id,session_id,message,status,idempotency_key,created_at) "
                       "VALUES (?,?,?,?,?,?)", (turn_id, session_id, message, "running", idempotency_key, time.time()))
            return turn_id

    def turn_with_key(self, session_id: str, key: str) -> Turn | None:
        return from_row(Turn, self._one("SELECT * FROM turns WHERE session_id=? AND idempotency_key=?",
                                        session_id, key))

    def finish_turn(self, turn_id: str, status: str, text: str, cost: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE turns SET status=?, text=?, cost=?, finished_at=? WHERE id=?",
                       (status, text, cost, time.time(), turn_id))

    def turns(self, session_id: str) -> list[Turn]:
        return from_rows(Turn, self._all("SELECT * FROM turns WHERE session_id=? ORDER BY created_at", session_id))

    # -- media --------------------------------------------------------------------------------
    def add_media(self, media: Media) -> None:
        row = column_values(media)  # the record's own field names: constant columns
        sql = f"INSERT INTO media ({','.join(row)}) VALUES ({','.join('?' * len(row))})"  # noqa: S608
        with self._tx() as db:
            db.execute(sql, tuple(row.values()))

    def media(self, media_id: str, user_id: str | None = None) -> Media | None:
        if user_id is None:
            return from_row(Media, self._one("SELECT * FROM media WHERE id=?", media_id))
        return from_row(Media, self._one("SELECT * FROM media WHERE id=? AND user_id=?", media_id, user_id))

    def media_by_url_key(self, url_key: str) -> Media | None:
        return from_row(Media, self._one("SELECT * FROM media WHERE url_key=?", url_key))

    def media_paths(self) -> set[str]:
        """Every media file the database owns, relative to the data directory."""
        return {r["relpath"] for r in self._all("SELECT relpath FROM media")}

    # -- renders ------------------------------------------------------------------------------
    def add_render(self, render_id: str, user_id: str, session_id: str, draft: dict[str, Any],
                   output: dict[str, Any]) -> Render | None:
        """Record a pending render; None when this user already has a render with this id."""
        key = new_id("rnd_")
        try:
            with self._tx() as db:
                db.execute("INSERT INTO renders (key,id,user_id,session_id,draft,output,status,created_at) "
                           "VALUES (?,?,?,?,?,?,?,?)",
                           (key, render_id, user_id, session_id, to_json(draft), to_json(output), "pending",
                            time.time()))
        except sqlite3.IntegrityError:
            return None
        return self.render(key)

    def render(self, key: str) -> Render | None:
        """A render by the server's key."""
        return from_row(Render, self._one(RENDER_BY_KEY, key))

    def user_render(self, render_id: str, user_id: str) -> Render | None:
        """A user's render by the client's id."""
        return from_row(Render, self._one(RENDER_BY_ID, render_id, user_id))

    def render_draft(self, key: str) -> dict[str, Any]:
        row = self._one("SELECT draft FROM renders WHERE key=?", key)
        draft: dict[str, Any] = from_json(row["draft"] if row else None, dict)
        return draft

    def render_by_url_key(self, url_key: str) -> Render | None:
        return from_row(Render, self._one(RENDER_BY_URL_KEY, url_key))

    def render_paths(self) -> set[str]:
        """Every file of a completed render, relative to the data directory."""
        return {path for job in from_rows(Render, self._all(COMPLETED_RENDERS)) for path in job.owned_paths()}

    def update_render(self, key: str, **fields: Any) -> None:
        """Set fields of a render (JSON fields as Python values)."""
        if not fields:
            return
        if unknown := set(fields) - RENDER_FIELDS:
            raise ValueError(f"not fields of a render: {sorted(unknown)}")
        values = encode_fields(Render, fields)
        sql = f"UPDATE renders SET {', '.join(f'{k}=?' for k in values)} WHERE key=?"  # noqa: S608 (checked names)
        with self._tx() as db:
            db.execute(sql, (*values.values(), key))

    def fail_interrupted_renders(self) -> int:
        """Mark renders cut off by a crash or stop as failed; returns how many."""
        with self._tx() as db:
            cur = db.execute("UPDATE renders SET status='failed', error=?, completed_at=? "
                             "WHERE status IN ('pending','processing')",
                             ("the backend stopped before this render finished; export again", time.time()))
            return cur.rowcount

    def interrupt_running_turns(self) -> int:
        with self._tx() as db:
            db.execute("DELETE FROM holds")
            cur = db.execute("UPDATE turns SET status='interrupted', finished_at=? WHERE status='running'",
                             (time.time(),))
            return cur.rowcount

    # -- idempotency and claims ---------------------------------------------------------------
    def remembered(self, user_id: str, scope: str, key: str) -> Remembered | None:
        return from_row(Remembered, self._one("SELECT status, body FROM idempotency WHERE user_id=? AND scope=? "
                                              "AND key=?", user_id, scope, key))

    def remember(self, user_id: str, scope: str, key: str, answer: Remembered) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO idempotency VALUES (?,?,?,?,?,?)",
                       (user_id, scope, key, answer.status, to_json(answer.body), time.time()))

    def add_claim(self, claim_token: str, user_id: str, session_id: str, ttl_s: float) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO claims VALUES (?,?,?,?)",
                       (hash_secret(claim_token), user_id, session_id, time.time() + ttl_s))

    def claim(self, claim_token: str) -> Claim | None:
        return from_row(Claim, self._one("SELECT * FROM claims WHERE hash=? AND expires_at>?",
                                         hash_secret(claim_token), time.time()))
