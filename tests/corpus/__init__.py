"""The corpus of user requests for the embedded agent (issue 11) and the harness that runs it.

``corpus.yaml`` holds the cases and documents the facet vocabulary; ``media`` makes the uploads,
``setups`` the starting states, ``facets`` reads a draft into facets, ``expect`` parses what a case
expects, ``judge`` compares, ``runner`` runs a case over HTTP against the embedded backend.
"""
