#!/usr/bin/env bash
# Publishes the native-AOT `edgewise` (one executable, no .NET needed to run it) and runs every command once against
# it: the --help of each command, the model, store, text and engine commands (text and --json), `run`, `serve` with
# real requests on every API family (OpenAI chat streamed and not, completions, Ollama, agents, health, metrics, admin,
# console), `sessions`, `audit verify`, and `pull` from a hub on loopback. Any failure exits non-zero; the last line
# reads "aot-check: N passed, N failed". docs/install.md describes it.
#
#   tools/aot-check.sh                  publish to artifacts/aot, then check
#   AOT_CHECK_NO_PUBLISH=1 tools/aot-check.sh   check the binary already in artifacts/aot
#
# Needs: the .NET 10 SDK, a C toolchain (clang or gcc), curl and python3 (JSON checks and the loopback hub), and one
# small GGUF model: AOT_CHECK_MODEL, else ref-qwen2-Q4_K_M.gguf under $EDGEWISE_SHARED/reference/models or
# ../shared/reference/models. Every server it starts listens on 127.0.0.1 and is stopped before it exits.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

out=${AOT_CHECK_OUT:-$root/artifacts/aot}
bin=$out/edgewise
shared=${EDGEWISE_SHARED:-$root/../shared}
model=${AOT_CHECK_MODEL:-$shared/reference/models/ref-qwen2-Q4_K_M.gguf}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "${AOT_CHECK_NO_PUBLISH:-0}" != 1 ]; then
  start=$(date +%s)
  if ! dotnet publish src/Edgewise.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out" >"${TMPDIR:-/tmp}/aot-publish.log" 2>&1; then
    tail -40 "${TMPDIR:-/tmp}/aot-publish.log"
    echo "aot-check: publish failed"
    exit 1
  fi
  echo "published $bin in $(( $(date +%s) - start )) s"
fi
[ -x "$bin" ] || { echo "aot-check: no binary at $bin"; exit 1; }
[ -f "$model" ] || { echo "aot-check: no model at $model (set AOT_CHECK_MODEL or EDGEWISE_SHARED)"; exit 1; }
echo "binary: $(stat -c %s "$bin") bytes; beside it: $(cd "$out" && ls | grep -v '^edgewise$' | grep -v '\.dbg$' | tr '\n' ' ')"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
export EDGEWISE_HOME=$work/home
mkdir -p "$EDGEWISE_HOME"
cd "$work"

passed=0
failed=0
log=$work/last.log

# check NAME [--expect TEXT] [--json] -- COMMAND...: runs COMMAND; passes when it exits 0, its output contains TEXT
# (when given) and, with --json, its standard output parses as JSON.
check() {
  local name=$1 expect="" json=0
  shift
  while [ "$1" != -- ]; do
    case $1 in
      --expect) expect=$2; shift 2 ;;
      --json) json=1; shift ;;
    esac
  done
  shift
  "$@" >"$log" 2>"$log.err"
  local rc=$?
  local why=""
  if [ $rc -ne 0 ]; then why="exit $rc"
  elif [ -n "$expect" ] && ! grep -qF -- "$expect" "$log" "$log.err"; then why="no '$expect' in the output"
  elif [ $json = 1 ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$log" 2>/dev/null; then why="output is not JSON"
  fi
  if [ -z "$why" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: $why"
    head -c 1500 "$log"; head -c 1500 "$log.err"; echo
  fi
}

# Every command's --help, found by walking the "Commands:" section of each help text.
help_walk() {
  local path=("$@") sub
  check "help ${path[*]}" --expect "Usage:" -- "$bin" "${path[@]}" --help
  for sub in $("$bin" "${path[@]}" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}'); do
    help_walk "${path[@]}" "$sub"
  done
}
help_walk

start_ns=$(date +%s%N)
"$bin" --help >/dev/null
echo "--help: $(( ($(date +%s%N) - start_ns) / 1000000 )) ms"

cp "$model" "$work/model.gguf"
m=$work/model.gguf

# Model, text and engine commands, as text and as JSON.
check "--version" -- "$bin" --version
check "model info" --expect "architecture" -- "$bin" model info "$m"
check "model info --json" --json -- "$bin" model info "$m" --json
check "model shapes --json" --json -- "$bin" model shapes --json
check "model synth --json" --json -- "$bin" model synth --shape smollm2-135m --quant q4_0 -o "$work/synth.gguf" --json
check "tokenize" -- "$bin" tokenize -m "$m" "Hello world"
check "tokenize --json" --json --expect '"pieces"' -- "$bin" tokenize -m "$m" "Hello world" --json
check "detokenize --json" --json -- "$bin" detokenize -m "$m" 9707 1879 --json
printf '[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]' >"$work/messages.json"
check "template render" --expect "Hi" -- "$bin" template render -m "$m" --messages "$work/messages.json" --add-generation-prompt
check "template render --json" --json -- "$bin" template render -m "$m" --messages "$work/messages.json" --add-generation-prompt --json
check "generate" -- "$bin" generate -m "$m" -p "Once upon a time" -n 8 --seed 1
check "generate --json" --json --expect '"finish_reason"' -- "$bin" generate -m "$m" -p "Once upon a time" -n 8 --seed 1 --json
check "eval --json" --json -- "$bin" eval -m "$m" --tokens 9707,1879,13 --top 3 --json
check "bench" --expect "dispatch:" -- "$bin" bench -m "$m" -p 16 -n 4 -r 1
check "bench --json" --json -- "$bin" bench -m "$m" -p 16 -n 4 -r 1 --json
check "run MODEL PROMPT" -- "$bin" run "$m" "Say hi" -n 8 --seed 1
check "doctor --json" --json --expect '"hardware"' -- "$bin" doctor --no-measure --no-discover --json
check "doctor" -- "$bin" doctor --no-discover --tokens 4
check "ls" -- "$bin" ls
check "ls --json" --json -- "$bin" ls --json
check "import --json" --json -- "$bin" import "$m" --name aot-check:model --json
check "verify --json" --json -- "$bin" verify aot-check:model --json
check "completion bash" --expect "edgewise" -- "$bin" completion bash

# pull from a hub on loopback (python's file server answers /OWNER/REPO/resolve/main/FILE).
mkdir -p "$work/hub/aot/check/resolve/main"
cp "$m" "$work/hub/aot/check/resolve/main/tiny.gguf"
hub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$hub_port" --bind 127.0.0.1 --directory "$work/hub" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$hub_port/" >/dev/null && break; sleep 0.1; done
check "pull from loopback hub" --json -- env HF_ENDPOINT="http://127.0.0.1:$hub_port" "$bin" pull aot/check:tiny.gguf --json
check "rm --json" --json -- "$bin" rm aot-check:model --json

# serve, with an agent from edgewise.yaml.
cat >"$work/edgewise.yaml" <<YAML
models:
  tiny:
    path: $m
    context: 512
agents:
  helper:
    description: Answers briefly.
    instructions: Answer in one short sentence.
    model: tiny
    max_tokens: 8
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --config "$work/edgewise.yaml" --port "$port" >"$work/serve.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -fs "$base/health/ready" >/dev/null && break; sleep 0.1; done
check "GET /health/ready" --expect '"ready"' -- curl -fsS "$base/health/ready"
sleep 1
echo "idle serve RSS: $(awk '/VmRSS/{print $2, $3}' /proc/$serve_pid/status)"

chat='{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"seed":1}'
J=(-fsS -H 'Content-Type: application/json')
check "POST /v1/chat/completions" --json --expect '"chat.completion"' -- curl "${J[@]}" "$base/v1/chat/completions" -d "$chat"
check "POST /v1/chat/completions stream" --expect 'data: [DONE]' -- curl "${J[@]}" -N "$base/v1/chat/completions" -d "${chat%\}},\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
check "POST /v1/completions" --json --expect '"text_completion"' -- curl "${J[@]}" "$base/v1/completions" -d '{"model":"tiny","prompt":"Once","max_tokens":4}'
check "POST /v1/completions stream" --expect 'data: [DONE]' -- curl "${J[@]}" -N "$base/v1/completions" -d '{"model":"tiny","prompt":"Once","max_tokens":4,"stream":true}'
check "POST /v1/chat/completions tools" --json -- curl "${J[@]}" "$base/v1/chat/completions" -d '{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}'
check "POST /v1/chat/completions json_schema" --json -- curl "${J[@]}" "$base/v1/chat/completions" -d '{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":16,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}}'
check "bad JSON gives 400" --expect 'invalid' -- sh -c "curl -sS -H 'Content-Type: application/json' '$base/v1/chat/completions' -d '{\"model\":' ; true"
check "GET /v1/models" --json --expect '"list"' -- curl -fsS "$base/v1/models"
check "GET /v1/models/tiny" --json -- curl -fsS "$base/v1/models/tiny"
check "POST /api/chat" --json --expect '"done"' -- curl "${J[@]}" "$base/api/chat" -d '{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"stream":false,"options":{"num_predict":4}}'
check "POST /api/chat stream" --expect '"done":true' -- curl "${J[@]}" "$base/api/chat" -d '{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":4}}'
check "POST /api/generate" --json -- curl "${J[@]}" "$base/api/generate" -d '{"model":"tiny","prompt":"Once","stream":false,"options":{"num_predict":4}}'
check "POST /api/show" --json --expect '"model_info"' -- curl "${J[@]}" "$base/api/show" -d '{"model":"tiny"}'
check "GET /api/tags" --json --expect '"models"' -- curl -fsS "$base/api/tags"
check "GET /api/ps" --json -- curl -fsS "$base/api/ps"
check "GET /api/version" --json --expect '"version"' -- curl -fsS "$base/api/version"
check "GET /metrics" --expect 'edgewise_' -- curl -fsS "$base/metrics"
check "GET /health/live" --expect 'ok' -- curl -fsS "$base/health/live"
check "GET /admin/stats" --json --expect '"requests"' -- curl -fsS "$base/admin/stats"
check "GET /admin/alerts" --json --expect '"rules"' -- curl -fsS "$base/admin/alerts"
check "GET /admin/models" --json --expect '"served"' -- curl -fsS "$base/admin/models"
check "GET /admin/stats?minutes=abc: problem details" --expect '"status":400' -- sh -c "curl -sS '$base/admin/stats?minutes=abc'"
check "unknown model: OpenAI error" --expect 'model_not_found' -- sh -c "curl -sS -H 'Content-Type: application/json' '$base/v1/chat/completions' -d '{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}'"
check "GET /admin/stats/series" --json --expect '"buckets"' -- curl -fsS "$base/admin/stats/series?minutes=5&step=60"
check "GET /admin/audit" --json --expect '"genesis_hash"' -- curl -fsS "$base/admin/audit"
check "GET /admin/mcp" --json -- curl -fsS "$base/admin/mcp"
check "GET /v1/approvals" --json -- curl -fsS "$base/v1/approvals"
check "GET / (console)" --expect '<html' -- curl -fsS "$base/"
check "GET /v1/agents" --json --expect '"helper"' -- curl -fsS "$base/v1/agents"
check "POST /v1/agents/helper/runs" --json --expect '"session_id"' -- curl "${J[@]}" "$base/v1/agents/helper/runs" -d '{"input":"Hi"}'
check "POST /v1/agents/helper/runs stream" --expect 'event: result' -- curl "${J[@]}" -N "$base/v1/agents/helper/runs" -d '{"input":"Hi","stream":true}'
check "GET /v1/sessions" --json --expect '"data"' -- curl -fsS "$base/v1/sessions"
session=$(curl -fsS "$base/v1/sessions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])' 2>/dev/null)
check "GET /v1/sessions/ID" --json --expect '"messages"' -- curl -fsS "$base/v1/sessions/$session"
check "ps --json" --json -- "$bin" ps --port "$port" --json
check "stats --json" --json -- "$bin" stats --port "$port" --json
check "bench serve --json" --json -- "$bin" bench serve --port "$port" --served-model tiny --clients 1 --requests 1 --max-tokens 4 --json
check "stop" -- "$bin" stop tiny --port "$port"
kill -TERM "$serve_pid"
wait "$serve_pid"
rc=$?
[ $rc -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL serve exit on SIGTERM: $rc"; tail -20 "$work/serve.log"; }

check "sessions ls --json" --json --expect "$session" -- "$bin" sessions ls --json
check "sessions show" -- "$bin" sessions show "$session"
check "audit verify --json" --json --expect '"valid": true' -- "$bin" audit verify --json
check "agents ls --json" --json -- "$bin" agents ls --config "$work/edgewise.yaml" --json
check "sessions rm --json" --json -- "$bin" sessions rm "$session" --json

echo "aot-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
