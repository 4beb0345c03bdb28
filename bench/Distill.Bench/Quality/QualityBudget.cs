using System.Globalization;

namespace Distill.Bench.Quality;

/// <summary>
/// What every method of the quality bench shares: the pretrained student it starts from, the training pairs seen
/// (steps × batch), the teacher's k, the learning rate of the fine-tuning and the held-out pairs it is judged on.
/// </summary>
public sealed record QualityBudget
{
    /// <summary>Cross-entropy pretraining of the default student on the train split: steps of 16 × 256 tokens.</summary>
    public int PretrainSteps { get; init; } = 300;

    /// <summary>Optimiser steps (MiniLLM: rollouts) of every method.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Training pairs per step (MiniLLM: prompts per rollout).</summary>
    public int BatchSize { get; init; } = 16;

    public int TopK { get; init; } = 256;

    /// <summary>Peak learning rate of the token-level and sequence-level methods (cosine to a tenth, 10 warmup steps).</summary>
    public double PeakLearningRate { get; init; } = 1e-3;

    /// <summary>Steps between DistiLLM's validation-loss checks.</summary>
    public int ValidationInterval { get; init; } = 10;

    /// <summary>ORT threads of the auto-started teacher; the trainer uses every core.</summary>
    public int TeacherThreads { get; init; } = 1;

    /// <summary>Every figure of the budget in one line: runs with different keys are not comparable and are not stored together.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"pretrain {PretrainSteps} steps; {Steps} steps of {BatchSize} pairs; top-{TopK}; peak lr {PeakLearningRate:G}; " +
        $"validation every {ValidationInterval} steps; {TeacherThreads} teacher thread(s)");

    public string Describe(int trainPairs, int heldOutPairs, int rougePairs) => string.Create(CultureInfo.InvariantCulture,
        $"Student: the default student (`models/default-student.json`, 1.35M parameters) pretrained with cross-entropy on the " +
        $"train split for {PretrainSteps} steps of 16 × 256 tokens, the same starting checkpoint for every method and seed. " +
        $"Teacher: `models/austen-gpt` (6.6M parameters), served by an auto-started TeacherServer ({TeacherThreads} ORT thread), top-{TopK} + tail. " +
        $"Budget: {Steps} steps of {BatchSize} training pairs (prompt 64 + response 64 tokens) from `data/tasks/train.jsonl` ({trainPairs} pairs), " +
        $"peak learning rate {PeakLearningRate:G} (MiniLLM: its own, see its row). Evaluation: the {heldOutPairs} held-out pairs of " +
        $"`data/tasks/test.jsonl` (perplexity, KL, top-1 and ECE over response tokens given the prompt; ROUGE-L of greedy " +
        $"64-token continuations of the first {rougePairs} prompts). Wall time: the whole training call, teacher generation " +
        $"(SeqKD) and student sampling included, evaluation excluded; tokens = response tokens trained on.");
}
