"""The app language: Compose files (and the legacy `net:` key) become a validated Project.

Nothing in this package touches the host beyond reading files; it imports
neither `orchestrator` nor `runtime`.
"""
