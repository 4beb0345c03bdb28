#!/usr/bin/env bash
# The offline teacher cache beside the live teacher on one short corpus run of the default job: precompute (float32
# and float16), then train live, on the float32 cache and on the float16 cache; prints training tokens/s of each,
# bytes per position, and how far each cached run's logged losses and evaluations are from the live run's.
# Usage: bench/teacher-cache.sh [steps, default 60] — builds the Release trainer when absent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
steps="${1:-60}"
trainer="$root/StudentTrainer/bin/Release/net10.0/linux-x64/Distill.StudentTrainer"
[[ -x "$trainer" ]] || dotnet build -c Release "$root/StudentTrainer/StudentTrainer.csproj" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run=(--steps "$steps" --eval-interval 20 --no-baseline --token-cache "$work/tokens")
cd "$root"
echo "teacher cache bench: $steps steps of the default job; $(nproc) cores; $(date -u +%F); commit $(git rev-parse --short HEAD)"
for precision in float32 float16; do
  start=$SECONDS
  "$trainer" precompute "${run[@]}" --teacher-cache "$work/cache-$precision" --logprobs "$precision" | grep '^wrote'
  echo "precompute $precision: $((SECONDS - start)) s"
done
"$trainer" train "${run[@]}" --out "$work/live" >/dev/null
"$trainer" train "${run[@]}" --teacher-cache "$work/cache-float32" --out "$work/float32" >/dev/null
"$trainer" train "${run[@]}" --teacher-cache "$work/cache-float16" --out "$work/float16" >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def summary(name): return json.load(open(f"{work}/{name}/summary.json"))["distilled"]
def figures(name):
    out = {}
    for line in open(f"{work}/{name}/metrics.jsonl"):
        record = json.loads(line)
        for key, value in record.items():
            if key not in ("step", "kind", "time") and isinstance(value, float):
                out[(record["step"], record["kind"], key)] = value
    return out
live = figures("live")
print(f"{'run':<16}{'tokens/s':>10}{'max relative difference from live':>36}")
for name in ("live", "float32", "float16"):
    other = figures(name)
    worst = max(abs(other[k] - v) / max(abs(v), 1e-12) for k, v in live.items())
    print(f"{name:<16}{summary(name)['tokens_per_second']:>10,.0f}{worst:>36.2e}")
PY
