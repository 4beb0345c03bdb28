#!/usr/bin/env bash
# Peak resident memory and wall time of tokenizing one big plain-text file (`make-tasks` on a ~200 MB .txt made of
# data/austen without its chapter headings, so it is one document cut by fractions).
# Usage: bench/corpus-memory.sh [trainer executable] — default: the Release build of this checkout (built if absent).
# Needs GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
trainer="${1:-$root/StudentTrainer/bin/Release/net10.0/linux-x64/Distill.StudentTrainer}"
[[ -x "$trainer" ]] || dotnet build -c Release "$root/StudentTrainer/StudentTrainer.csproj" >/dev/null
[[ -x /usr/bin/time ]] || { echo "error: GNU time (/usr/bin/time) is needed: apt-get install -y time" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for _ in $(seq 50); do sed -E '/^(CHAPTER|Chapter) [0-9IVXLC]+\.?\s*$/d' "$root"/data/austen/*.txt; done > "$work/big.txt"
echo "corpus: $(du -m "$work/big.txt" | cut -f1) MB in one .txt; $(nproc) cores; $(date -u +%F)"
(cd "$root" && /usr/bin/time -v "$trainer" make-tasks --data "$work/big.txt" --out "$work/tasks" --token-cache "$work/cache") >"$work/log" 2>&1
grep -E '^(train|validation|test):' "$work/log"
awk -F': ' '/Maximum resident set size/ { printf "peak resident memory: %.2f GB\n", $2 / 1048576 }
            /Elapsed \(wall clock\)/ { print "wall time: " $2 }' "$work/log"
