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
def worst(other, keys):
    return max((abs(other[k] - live[k]) / max(abs(live[k]), 1e-12) for k in live if k[2] in keys), default=0.0)
losses, evaluation = ("loss", "ce", "divergence"), ("val_loss", "kl_teacher", "top1_agreement", "ece")
print("max relative difference from the live run's logged training losses, and its evaluations (ROUGE-L left out:")
print("one greedy token that flips changes it by a step)")
print(f"{'run':<10}{'tokens/s':>10}{'training losses':>18}{'val loss, KL, agreement, ECE':>32}")
for name in ("live", "float32", "float16"):
    other = figures(name)
    print(f"{name:<10}{summary(name)['tokens_per_second']:>10,.0f}{worst(other, losses):>18.2e}{worst(other, evaluation):>32.2e}")
PY
