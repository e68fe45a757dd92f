"""Offline credits that never strand a learner (extensions of ours, see docs/protocol.md).

- ``top_up_all``: when the backend is started with ``credits=N`` (``nemo-nb serve --credits N``,
  ``backend_options={"credits": N}``), every local user who has fewer than N available gets topped up to N;
  new users start with N.
- ``add_credits``: ``POST /api/local/credits/add`` ``{"credits": N}`` adds N to the caller's balance
  (``%nemo credits --add N``): for teachers and learners on the embedded backend, from loopback only.

Every change is a ledger row (reason ``top-up`` or ``added``), so the balance stays a sum of the ledger.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Any

from nemo_nb.local.store import Store

MAX_ADD = 1_000_000        # credits one request may add
MAX_BALANCE = 1_000_000_000  # no balance grows past this (SQLite integers stay far from overflow)
HOW_TO_GET_MORE = ("add credits, run %nemo credits --add 100 in the notebook (nemo.add_credits(100) from Python), "
                   "or start the embedded backend with more: nemo-nb serve --credits 500, or "
                   '%config NemoMagics.backend_options = {"credits": 500} before %nemo connect --local')


def _add(db: sqlite3.Connection, user_id: str, amount: int, reason: str) -> None:
    db.execute("INSERT INTO ledger (user_id,delta,reason,ref,created_at) VALUES (?,?,?,?,?)",
               (user_id, amount, reason, None, time.time()))


def top_up_all(store: Store, at_least: int) -> int:
    """Raise every user's available credits to ``at_least``; returns how many users were topped up."""
    at_least = min(at_least, MAX_BALANCE)
    topped = 0
    with store._tx() as db:
        for (user_id,) in db.execute("SELECT id FROM users").fetchall():
            missing = at_least - store.balance(user_id)["available"]
            if missing > 0:
                _add(db, user_id, missing, "top-up")
                topped += 1
    return topped


def requested_amount(body: Any) -> int:
    """``{"credits": N}`` with N a whole number from 1 to ``MAX_ADD``; ValueError says what is wrong."""
    amount = body.get("credits") if isinstance(body, dict) else None
    if type(amount) is not int or not 1 <= amount <= MAX_ADD:
        raise ValueError(f'send {{"credits": N}} with N a whole number from 1 to {MAX_ADD:,}')
    return amount


def add_credits(store: Store, user_id: str, amount: int) -> dict[str, int]:
    """Add ``amount`` (capped so the balance stays under ``MAX_BALANCE``); the new balance."""
    with store._tx() as db:
        room = MAX_BALANCE - store.balance(user_id)["total"]
        if min(amount, room) > 0:
            _add(db, user_id, min(amount, room), "added")
    return store.balance(user_id)
