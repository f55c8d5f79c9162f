"""The built-in metrics, one module each; every module here is registered (scoring/registry.py)."""
