"""Listening tests of a run's clips (MUSHRA, A/B), and their agreement with automatic metrics."""
