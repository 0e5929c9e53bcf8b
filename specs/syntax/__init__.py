"""Compose's short syntaxes (`8080:80`, `./data:/data:ro`, `KEY=value`...) in long form.

Each parser is a pure function from the short text to plain long-syntax data,
raising ValueError with a message for the user; `specs.canonical` applies them
to the position-aware tree.
"""
