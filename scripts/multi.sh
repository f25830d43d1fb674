#!/usr/bin/env bash
# `make multi`: the builder in watch mode (reading the profile store) beside the main process (supervisor + children + API).
# Ctrl-C stops both; the main process shuts its children down itself.
set -euo pipefail
: "${PORT:=5000}" "${MODE:=view}" "${DATA:=data}" "${RUNS:=run}" "${EVERY:=}"
: "${STORE:=$DATA/profiles.db}"

# The store is seeded by `make store` (a dependency of `make multi`); the first version is built
# from it here, before the service starts, so the first start serves at once.
if [[ ! -f "$DATA/indexes/LATEST" ]]; then
  node dist/builder/main.js --store "$STORE" --data "$DATA"
fi

builder_args=(--store "$STORE" --data "$DATA" --watch)
[[ -n "$EVERY" ]] && builder_args+=(--every "$EVERY")
# A session of its own: under Linux autogroup scheduling a niceness only counts inside its session,
# so only there does the builder's --niceness keep it from competing with the answerer.
run_in_own_session=()
command -v setsid >/dev/null && run_in_own_session=(setsid)
"${run_in_own_session[@]}" node dist/builder/main.js "${builder_args[@]}" &
builder=$!

node dist/service/main.js --data "$DATA" --store "$STORE" --port "$PORT" --mode "$MODE" --runs "$RUNS" &
main=$!

stop() {
  kill -TERM "$main" "$builder" 2>/dev/null || true
  wait "$main" "$builder" 2>/dev/null || true
}
trap stop INT TERM EXIT
wait -n "$main" "$builder"
