using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Training;

/// <summary>Everything that decides a from-scratch cross-entropy training run.</summary>
public sealed record PretrainOptions
{
    public required ModelConfig Model { get; init; }

    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 1200;

    /// <summary>Sequences per step; each is <see cref="ModelConfig.ContextLength"/> tokens.</summary>
    public int BatchSize { get; init; } = 16;

    public double PeakLearningRate { get; init; } = 1e-3;
    public double FinalLearningRate { get; init; } = 1e-4;
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay, applied to 2-D weights only.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Clip the global gradient L2 norm to this value.</summary>
    public double GradientClip { get; init; } = 1.0;

    public int Seed { get; init; } = 1234;

    /// <summary>Validate (and save a checkpoint) every this many steps, and at the end.</summary>
    public int EvalInterval { get; init; } = 200;

    public void Validate()
    {
        Model.Validate();
        if (Steps < 1) throw new ArgumentException($"steps must be ≥ 1, got {Steps}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1, got {BatchSize}");
        if (!(PeakLearningRate > 0) || !(FinalLearningRate >= 0) || FinalLearningRate > PeakLearningRate)
            throw new ArgumentException("learning rates must satisfy 0 ≤ final ≤ peak, peak > 0");
        if (WarmupSteps < 1) throw new ArgumentException($"warmup steps must be ≥ 1, got {WarmupSteps}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, got {WeightDecay}");
        if (!(GradientClip > 0)) throw new ArgumentException($"gradient clip must be > 0, got {GradientClip}");
        if (EvalInterval < 1) throw new ArgumentException($"eval interval must be ≥ 1, got {EvalInterval}");
    }
}
