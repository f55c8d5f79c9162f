"""audioprobe: measure how well text-only language models make sound by writing code."""

__version__ = "0.1.0"
