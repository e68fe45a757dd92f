"""The NemoVideo client: ``AsyncNemo`` (async core) and ``Nemo`` (blocking facade)."""
from nemo_nb.api.client import AsyncNemo, AsyncSession
from nemo_nb.api.clock import Clock
from nemo_nb.api.compare import Comparison, Variant
from nemo_nb.api.errors import NemoConnectionError, NemoError, NemoTimeout, StreamDropped
from nemo_nb.api.models import Answer, Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.api.sync import Nemo, Session
from nemo_nb.api.voices import VoiceChoice, Voices
from nemo_nb.api.watch import Timings

__all__ = ["Answer", "AsyncNemo", "AsyncSession", "Clock", "Comparison", "Credits", "Export", "Nemo",
           "NemoConnectionError", "NemoError", "NemoTimeout", "Reply", "Session", "SessionState", "StreamDropped",
           "Timings", "UploadedFile", "Variant", "VoiceChoice", "Voices"]
