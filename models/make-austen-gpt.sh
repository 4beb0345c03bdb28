#!/usr/bin/env bash
# Rebuilds the default teacher models/austen-gpt from scratch: tokenizer, pretraining, ONNX export.
# Same commands, seed and thread count as the committed model (see models/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build StudentTrainer -c Release
trainer=StudentTrainer/bin/Release/net10.0/linux-x64/Distill.StudentTrainer
"$trainer" train-tokenizer --data data/austen --vocab-size 4096 --out runs/austen-tokenizer
"$trainer" pretrain --model teacher --data data/austen --tokenizer runs/austen-tokenizer --out runs/austen-gpt \
  --steps 1200 --batch-size 16 --lr 1e-3 --warmup 100 --eval-interval 200 --seed 1234 --threads 2
"$trainer" export --checkpoint runs/austen-gpt --out models/austen-gpt
