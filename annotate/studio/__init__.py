"""Everything that talks to Label Studio over the network: the client, push, pull and the local server.

This package is the only code that imports ``label_studio_sdk`` or sends requests; SDK and HTTP
errors become ``annotate.errors.StudioError`` here. Label Studio JSON itself (tasks, results,
configs) is built and checked without the network, in ``annotate.labelstudio``.
"""
