"""The tables of the embedded backend's SQLite database, and the steps that bring an older file up to date."""
from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, client_id TEXT UNIQUE, created_at REAL NOT NULL, starting_credits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, ip TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL, uses INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tokens_client ON tokens(client_id, created_at);
CREATE INDEX IF NOT EXISTS tokens_ip ON tokens(ip, created_at);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, delta INTEGER NOT NULL, reason TEXT NOT NULL,
    ref TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, amount INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, task_id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL, task_name TEXT NOT NULL,
    language TEXT NOT NULL, created_at REAL NOT NULL, state TEXT NOT NULL, state_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS draft_history (
    session_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (session_id, version));
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '', cost INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT,
    created_at REAL NOT NULL, finished_at REAL);
CREATE INDEX IF NOT EXISTS turns_session ON turns(session_id, created_at);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT, origin TEXT NOT NULL,
    filename TEXT NOT NULL, relpath TEXT NOT NULL, file_type TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, info TEXT NOT NULL, url_key TEXT UNIQUE NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    user_id TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (user_id, scope, key));
CREATE TABLE IF NOT EXISTS claims (
    hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL, expires_at REAL NOT NULL);
"""
# Render ids are the client's, unique per user; ``key`` is the server's own id (folders, cancel, workers).
RENDERS = """
CREATE TABLE IF NOT EXISTS renders (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL, draft TEXT NOT NULL,
    output TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, error TEXT,
    relpath TEXT, url_key TEXT UNIQUE, size INTEGER, duration REAL, copies_video INTEGER,
    created_at REAL NOT NULL, started_at REAL, completed_at REAL, extra_outputs TEXT, languages TEXT,
    UNIQUE (user_id, id));
"""
RENDER_COLUMNS = ("id, user_id, session_id, draft, output, status, progress, error, relpath, url_key, size, "
                  "duration, copies_video, created_at, started_at, completed_at, extra_outputs, languages")
RENDER_VIEW = "key, " + RENDER_COLUMNS.replace("draft, ", "")  # a render without its (possibly large) draft
COPY_V1_RENDERS = f"INSERT INTO renders (key, {RENDER_COLUMNS}) SELECT id, {RENDER_COLUMNS} FROM renders_v1"  # noqa: S608
SCHEMA_VERSION = 2


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def prepare(db: sqlite3.Connection) -> None:
    """Create the tables of a new database, or bring an older one to ``SCHEMA_VERSION`` (one transaction;
    opening an up-to-date file changes nothing)."""
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            _migrate(db)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _migrate(db: sqlite3.Connection) -> None:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "renders" in tables and "key" not in _columns(db, "renders"):
        # version 1: render ids were unique over all users; each old id becomes its own key
        for name in ("extra_outputs", "languages"):  # added to version 1 later
            if name not in _columns(db, "renders"):
                db.execute(f"ALTER TABLE renders ADD COLUMN {name} TEXT")
        db.execute("ALTER TABLE renders RENAME TO renders_v1")
        db.execute(RENDERS)
        db.execute(COPY_V1_RENDERS)
        db.execute("DROP TABLE renders_v1")
    else:
        db.execute(RENDERS)
