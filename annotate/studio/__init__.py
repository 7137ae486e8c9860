"""Everything that talks to Label Studio: the SDK client, push, pull and the local server.

This package is the only code that imports ``label_studio_sdk``; SDK errors become
``annotate.errors.StudioError`` here. Submodules are imported where used, so that importing one
(``annotate.studio.validation``) does not start the whole client.
"""
