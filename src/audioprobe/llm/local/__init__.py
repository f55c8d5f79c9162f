"""Serve GGUF models on this machine with llama.cpp's OpenAI-compatible server.

path = resolve_gguf("qwen2.5-coder-1.5b")   # catalog key or path to any .gguf
with LocalServer(path, ctx_size=4096) as srv:
    srv.base_url, srv.model_id              # for any OpenAI-compatible client
"""

from audioprobe.llm.local.program import ServerProgram, find_llama_server
from audioprobe.llm.local.server import LocalServer, LocalServerError, stop_all
from audioprobe.llm.local.weights import (
    CatalogModel,
    WeightsError,
    catalog,
    ensure_model,
    resolve_gguf,
)

__all__ = [
    "CatalogModel",
    "LocalServer",
    "LocalServerError",
    "ServerProgram",
    "WeightsError",
    "catalog",
    "ensure_model",
    "find_llama_server",
    "resolve_gguf",
    "stop_all",
]
