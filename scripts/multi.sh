#!/usr/bin/env bash
# `make multi`: the builder in watch mode beside the main process (supervisor + children + API).
# Ctrl-C stops both; the main process shuts its children down itself.
set -euo pipefail
: "${PORT:=5000}" "${MODE:=view}" "${DATA:=data}" "${RUNS:=run}" "${EVERY:=}"

if [[ ! -f "$DATA/indexes/LATEST" ]]; then
  node dist/builder/main.js --source "$DATA/profiles.jsonl" --data "$DATA"
fi

builder_args=(--source "$DATA/profiles.jsonl" --data "$DATA" --watch)
[[ -n "$EVERY" ]] && builder_args+=(--every "$EVERY")
# A session of its own: under Linux autogroup scheduling a niceness only counts inside its session,
# so only there does the builder's --niceness keep it from competing with the answerer.
run_in_own_session=()
command -v setsid >/dev/null && run_in_own_session=(setsid)
"${run_in_own_session[@]}" node dist/builder/main.js "${builder_args[@]}" &
builder=$!

node dist/service/main.js --data "$DATA" --port "$PORT" --mode "$MODE" --runs "$RUNS" &
main=$!

stop() {
  kill -TERM "$main" "$builder" 2>/dev/null || true
  wait "$main" "$builder" 2>/dev/null || true
}
trap stop INT TERM EXIT
wait -n "$main" "$builder"
