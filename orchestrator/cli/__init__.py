"""The `pycompose` command line: one module per command group."""
