"""The Teams app package: the manifest template, its two icons, and the builder (package.py)."""
