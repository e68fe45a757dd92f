"""What each operation of the embedded backend's agent costs, in credits.

| action     | credits | what it is |
|------------|---------|------------|
| help       | 0       | a message the agent cannot act on: it explains what it can do |
| add_media  | 1       | put uploaded videos on the timeline |
| export     | 0       | rendering is always free (PROTOCOL.md) |

A turn's cost is frozen when it starts (``frozen`` in the balance) and charged when it ends; a
turn that fails is not charged. A turn that cannot be paid answers code 2001 with a registration link.
"""
from __future__ import annotations

COSTS: dict[str, int] = {
    "help": 0,
    "add_media": 1,
    "export": 0,
}
