#!/usr/bin/env bash
# Resident memory of tandem's two children once both hold the same version (no swap under way),
# after load has faulted in the pages a real query mix touches. The swap benchmark samples the max
# over a whole run instead, which includes the seconds after each swap when the spare still holds
# the previous version.
#   bash bench/steady-memory.sh [dataset] [mode] [seconds of load]     (defaults: demo-1m view 20)
#   NODE_FLAGS='--max-semi-space-size=1' bash bench/steady-memory.sh   (Node flags; the children inherit them)
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-demo-1m}; mode=${2:-view}; seconds=${3:-20}
data=.cache/bench/$dataset/data
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
node ${NODE_FLAGS:-} dist/service/main.js --data "$data" --port "$port" --mode "$mode" --runs .cache/bench/runs --log-level warn >/dev/null 2>&1 &
main=$!
trap 'kill $main 2>/dev/null; wait $main 2>/dev/null || true' EXIT
status() { curl -sf "http://127.0.0.1:$port/status" || true; }
for _ in $(seq 1 240); do
  # Both slots on the served version: the standby has caught up.
  if status | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{try{const j=JSON.parse(s);process.exit(j.servingVersion&&j.slots.every(x=>x.version===j.servingVersion&&/serving|standby/.test(x.state))?0:1)}catch{process.exit(1)}})"; then break; fi
  sleep 0.5
done
IDS=.cache/bench/$dataset/ids.txt wrk -t2 -c16 -d"${seconds}s" --timeout 10s -s bench/lua/recommend.lua "http://127.0.0.1:$port" >/dev/null
sleep 1
index=$(ls "$data"/indexes/v*/index.usearch | tail -1)
index_bytes=$(stat -c %s "$index")
total_pss=0; total_rss=0
for pid in $(pgrep -P "$main"); do
  pss=$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup); rss=$(awk '/^Rss:/ {print $2}' /proc/$pid/smaps_rollup)
  mapped=$(awk -v f="$index" '$0 ~ f {on=1; next} /^[0-9a-f]+-[0-9a-f]+ / {on=0} on && /^Pss:/ {s+=$2} END {print s+0}' /proc/$pid/smaps)
  echo "child $pid: RSS $((rss/1024)) MiB, PSS $((pss/1024)) MiB, of which index.usearch PSS $((mapped/1024)) MiB"
  total_pss=$((total_pss+pss)); total_rss=$((total_rss+rss))
done
echo "dataset $dataset, mode $mode: index.usearch $((index_bytes/1048576)) MiB; both children PSS $((total_pss/1024)) MiB ($(node -e "console.log(($total_pss*1024/$index_bytes).toFixed(2))")x), RSS $((total_rss/1024)) MiB"
