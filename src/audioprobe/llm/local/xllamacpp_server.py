"""A llama-server stand-in process built on the `xllamacpp` wheel.

`xllamacpp` ships llama.cpp's own HTTP server (the C++ code of `llama-server`) compiled into a
prebuilt manylinux wheel, so a fresh machine gets a working server from pip in seconds instead
of compiling llama.cpp for half an hour. It is started in its own process, like the real
binary, so that stopping it is a plain signal and a crash cannot take audioprobe down; it
accepts the subset of llama-server's command line that `LocalServer` passes.

    python -m audioprobe.llm.local.xllamacpp_server -m MODEL.gguf --host 127.0.0.1 --port N
"""

from __future__ import annotations

import argparse
import os
import signal
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xllamacpp_server", description=__doc__)
    parser.add_argument("-m", "--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("-c", "--ctx-size", type=int, default=4096)
    parser.add_argument("-t", "--threads", type=int, default=-1)
    parser.add_argument("-tb", "--threads-batch", type=int, default=None)
    parser.add_argument("-np", "--parallel", type=int, default=1)
    parser.add_argument("-a", "--alias", default=None)
    parser.add_argument("-fa", "--flash-attn", choices=("on", "off", "auto"), default="auto")
    parser.add_argument("--chat-template-file", default=None)
    parser.add_argument("--jinja", action="store_true", default=True)
    parser.add_argument("--no-webui", action="store_true")
    # speculative decoding and prompt reuse, spelled as llama-server spells them
    parser.add_argument("-md", "--model-draft", default=None)
    parser.add_argument("--draft-max", type=int, default=None)
    parser.add_argument("--draft-min", type=int, default=None)
    parser.add_argument("--spec-type", choices=sorted(SPEC_TYPES), default=None)
    parser.add_argument("--spec-ngram-size-n", type=int, default=None)
    parser.add_argument("--cache-reuse", type=int, default=None)
    parser.add_argument("--cache-ram", type=int, default=None)
    return parser


# llama-server's --spec-type names and the enum member each stands for
SPEC_TYPES = {
    "none": "COMMON_SPECULATIVE_TYPE_NONE",
    "ngram-cache": "COMMON_SPECULATIVE_TYPE_NGRAM_CACHE",
    "ngram-simple": "COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE",
    "ngram-map-k": "COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K",
    "ngram-map-k4v": "COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K4V",
    "ngram-mod": "COMMON_SPECULATIVE_TYPE_NGRAM_MOD",
}


def _speculative(params: object, args: argparse.Namespace, xlc: object) -> None:
    """Draft model and/or draftless speculation, as llama-server's flags of the same names."""
    spec = params.speculative  # type: ignore[attr-defined]
    kinds = xlc.common_speculative_type  # type: ignore[attr-defined]
    types = []
    if args.model_draft:
        spec.draft.mparams.path = args.model_draft
        spec.draft.cpuparams.n_threads = params.cpuparams.n_threads  # type: ignore[attr-defined]
        spec.draft.cpuparams_batch.n_threads = params.cpuparams.n_threads  # type: ignore[attr-defined]
        types.append(kinds.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE)
    if args.spec_type and args.spec_type != "none":
        types.append(getattr(kinds, SPEC_TYPES[args.spec_type]))
    if types:
        spec.types = types
    if args.draft_max is not None:
        spec.draft.n_max = args.draft_max
        spec.ngram_mod.n_max = args.draft_max
        spec.ngram_simple.size_m = args.draft_max
        spec.ngram_map_k.size_m = args.draft_max
    if args.spec_ngram_size_n is not None:
        spec.ngram_simple.size_n = args.spec_ngram_size_n
        spec.ngram_map_k.size_n = args.spec_ngram_size_n
    if args.draft_min is not None:
        spec.draft.n_min = args.draft_min
        spec.ngram_mod.n_min = args.draft_min


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx_size
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads_batch or args.threads
    params.use_jinja = True  # the chat template stored in the GGUF, rendered by llama.cpp
    if args.chat_template_file:
        with open(args.chat_template_file, encoding="utf-8") as fh:
            params.chat_template = fh.read()
    params.ui = not args.no_webui
    params.flash_attn_type = {
        "on": xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED,
        "off": xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED,
        "auto": xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_AUTO,
    }[args.flash_attn]
    if args.alias:
        params.model_alias = {args.alias}
    if args.cache_reuse is not None:
        params.n_cache_reuse = args.cache_reuse
    if args.cache_ram is not None:
        params.cache_ram_mib = args.cache_ram
    _speculative(params, args, xlc)

    # Block the stop signals before the server's threads start so that they inherit the mask
    # and only this thread receives them.
    stop = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    server = xlc.Server(params)
    print(f"xllamacpp server listening on {server.listening_address}", flush=True)
    received = signal.sigwait(stop)
    print(f"xllamacpp server stopping on signal {received}", flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # The C++ server has no clean stop through the binding; the process is ours alone, so
    # ending it releases the port, the memory and the model mapping at once.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
