"""Every test here ends with the residue check of the engine roots it opened."""

from tests.support.residue import no_residue_left

__all__ = ["no_residue_left"]
