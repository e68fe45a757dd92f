"""Speech and music-bed speed of the embedded backend's media layer.

    python benchmarks/bench_tts.py [--runs 5]

Times, in one fresh worker process: its start (spawn + imports, measured by a ping), the piper model
load (the first English request, as the worker reports it), a 60-word English synthesis with the warm
joe voice and a 60-word Spanish one with espeak-ng (medians of N); then a 30 s ambient bed per mood.
Times vary run to run on shared machines by up to 2×; compare within one run.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nemo_nb.local.media.ambient import MOODS, ambient_bed
from nemo_nb.local.media.tts import SpeechEngine

ENGLISH = (
    "Meet the new dashboard. Everything you need sits on one screen: your projects, your deadlines and your team. "
    "Drag a task to change its date, click a name to see who is free, and share a view with one link. Reports "
    "build themselves every Monday morning, so you can spend less time updating and more time doing. Try it today."
)
SPANISH = (
    "Conozca el nuevo panel. Todo lo que necesita está en una sola pantalla: sus proyectos, sus plazos y su equipo. "
    "Arrastre una tarea para cambiar su fecha, haga clic en un nombre para ver quién está libre y comparta una "
    "vista con un enlace. Los informes se crean solos cada lunes por la mañana, así que usted dedica menos tiempo."
)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = SpeechEngine()
        try:
            rows.append(("worker start (spawn + imports, ping)", timed(lambda: engine._call({"op": "ping"}, 60)), ""))
            first = engine.synthesize("Hello there.", folder / "first.wav")
            rows.append(("piper joe model load (once)", first.timings["load_s"], "reported by the worker"))
            for label, text, language in (("piper joe", ENGLISH, "en"), ("espeak-ng es", SPANISH, "es")):
                times, audio = [], 0.0
                for i in range(args.runs):
                    start = time.perf_counter()
                    speech = engine.synthesize(text, folder / f"{language}{i}.wav", language=language)
                    times.append(time.perf_counter() - start)
                    audio = speech.duration_s
                rows.append((f"{label}, {len(text.split())} words (median of {args.runs})", statistics.median(times),
                             f"{audio:.1f} s of audio, {audio / statistics.median(times):.0f}x real time"))
        finally:
            engine.close()
        for mood in MOODS:
            times = [timed(lambda m=mood: ambient_bed(folder / f"{m}.wav", 30, mood=m)) for _ in range(args.runs)]
            rows.append((f"ambient bed 30 s, {mood} (median of {args.runs})", statistics.median(times), "stereo WAV"))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'work':<{width}}  {'seconds':>8}  note")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:>8.3f}  {note}")


if __name__ == "__main__":
    main()
