"""The per-container monitor: a small standard-library process that is each container's parent.

Nothing here may import the engine's heavier parts (pydantic, typer, rich,
pyroute2, the store's other components): the monitor starts with
`python -S` and stays small; see main.py.
"""
