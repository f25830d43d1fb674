#!/usr/bin/env bash
# Copies this checkout's dist/ (with what it reads beside it) to .cache/bench/builds/<name>, so
# bench/request-cost.ts can run an earlier build beside the current one: --tandem <name>=<dir>/dist
set -euo pipefail
name=${1:?usage: bench/snapshot-build.sh <name>}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/bench/builds/$name"
rm -rf "$dir" && mkdir -p "$dir"
cp -a "$root/dist" "$dir/dist"
cp "$root/package.json" "$dir/"
ln -s "$root/inspect" "$dir/inspect"
echo "$dir/dist"
