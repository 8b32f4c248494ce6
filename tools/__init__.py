"""Developer and test tooling (not part of the shipped application)."""
