"""The embedded backend: the NemoVideo protocol served on loopback, with real rendering and speech.

Start it with ``LocalBackend()`` (``nemo_nb.local.server``) or ``nemo-nb serve``.
"""
