"""Helpers shared by the test suites: namespaces, test images, residue checks."""
