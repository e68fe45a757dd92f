"""The inputs and filter chains of one ffmpeg run, built up piece by piece."""
from __future__ import annotations

from pathlib import Path


class Graph:
    """Inputs and filter chains of one ffmpeg run."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.filters: list[str] = []
        self._count = 0
        self._labels = 0

    def input(self, path: Path, start_ms: int = 0, length_s: float | None = None, threads: int = 0) -> int:
        if threads:
            self.inputs += ["-threads", str(threads)]
        if start_ms:
            self.inputs += ["-ss", f"{start_ms / 1000:.3f}"]
        if length_s is not None:
            self.inputs += ["-t", f"{length_s:.3f}"]
        self.inputs += ["-protocol_whitelist", "file", "-i", str(Path(path).resolve())]
        self._count += 1
        return self._count - 1

    def label(self) -> str:
        self._labels += 1
        return f"[s{self._labels}]"

    def chain(self, sources: str, filters: str, out: str | None = None) -> str:
        """Add ``sources`` → ``filters`` → ``out`` (a new label by default); return ``out``."""
        out = out or self.label()
        self.filters.append(f"{sources}{filters}{out}")
        return out

    def mix(self, labels: list[str], after: str = "", out: str | None = None) -> str:
        """Sum ``labels`` (no normalisation, so levels stay as set), then apply ``after``."""
        if len(labels) == 1:
            return labels[0] if not (after or out) else self.chain(labels[0], after or "anull", out)
        mixed = f"amix=inputs={len(labels)}:duration=longest:normalize=0"
        return self.chain("".join(labels), mixed + (f",{after}" if after else ""), out)
