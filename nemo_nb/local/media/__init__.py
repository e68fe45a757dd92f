"""Media work of the embedded backend: probe, fonts, ffmpeg runner and the draft renderer."""
