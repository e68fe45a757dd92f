"""The embedded backend's media layer: probe, fonts, timeline checks, the renderer (one ffmpeg run per
draft), speech (tts + its worker process), generated music beds (ambient) and the drawn presenter (avatar)."""
