"""The NemoVideo client: ``AsyncNemo`` (async core) and ``Nemo`` (blocking facade)."""
from nemo_nb.api.client import AsyncNemo, AsyncSession, Timings
from nemo_nb.api.compare import Comparison, Variant
from nemo_nb.api.errors import NemoError
from nemo_nb.api.models import Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.api.sync import Nemo, Session
from nemo_nb.api.transport import Clock

__all__ = ["AsyncNemo", "AsyncSession", "Clock", "Comparison", "Credits", "Export", "Nemo", "NemoError", "Reply",
           "Session", "SessionState", "Timings", "UploadedFile", "Variant"]
