"""How the embedded agent understands a message: a deterministic, explainable pipeline.

normalise (``normalise``) → take out the text to use as it is: scripts, titles, translations (``payload``)
→ correct typos against the agent's own vocabulary (``spelling``, ``lexicon``) and write number words as
digits (``numbers``) → split into clauses (``clauses``) → one intent per clause, with typed slots: times,
levels, colours, positions, languages, voices, pace, frames (``slots``, ``times``, ``frames``) → the
message as a whole (``reading``). ``understand(text, scene)`` runs it; the agent maps each intent's kind
to a skill (``nemo_nb.local.agent.SKILLS``).
"""
from __future__ import annotations

from nemo_nb.local.understanding.intent import Intent, Level, Pace, Reading, Scene, Slots
from nemo_nb.local.understanding.reading import understand
from nemo_nb.local.understanding.times import When

__all__ = ["Intent", "Level", "Pace", "Reading", "Scene", "Slots", "When", "understand"]
