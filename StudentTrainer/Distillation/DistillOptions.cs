using System.Text.Json.Serialization;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Everything that decides a distillation run (and, with <see cref="Lambda"/> = 0, its cross-entropy baseline).</summary>
public sealed record DistillOptions
{
    public required ModelConfig Student { get; init; }

    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>
    /// Steps of one epoch over a fixed set of batches (<c>--epochs</c>): batch n of a later epoch is one of the first
    /// epoch's, in a new order (<see cref="Data.EpochBatchOrder"/>); null: every batch is new.
    /// </summary>
    public int? EpochSteps { get; init; }

    /// <summary>Sequences per micro-batch; a step sees <see cref="BatchSize"/> × <see cref="GradientAccumulation"/> sequences.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Micro-batches whose gradients are summed before one optimiser step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Tokens per training sequence; at most the student's context length.</summary>
    public int SequenceLength { get; init; } = 256;

    public double PeakLearningRate { get; init; } = 2e-3;
    public double FinalLearningRate { get; init; } = 2e-4;
    public int WarmupSteps { get; init; } = 30;

    /// <summary>AdamW decoupled weight decay on 2-D weights.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Clip the global gradient L2 norm to this value.</summary>
    public double GradientClip { get; init; } = 1.0;

    public int Seed { get; init; } = 1234;

    [JsonConverter(typeof(JsonStringEnumConverter<DivergenceKind>))]
    public DivergenceKind Divergence { get; init; } = DivergenceKind.Fkl;

    /// <summary>λ of the objective (1 − λ)·CE(gold) + λ·D; 0 trains with cross-entropy only and asks the teacher nothing.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>
    /// Teacher ids per position: TeacherServer's largest k by default. On the default teacher, k = 256 leaves the true
    /// token outside the top-k far less often than k = 64, and the student's perplexity follows (StudentTrainer/README.md).
    /// </summary>
    public int TopK { get; init; } = 256;

    /// <summary>τ of teacher and student distributions in the divergence.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Skew α of skl / srkl (DistiLLM: 0.1).</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>β of the generalised JS divergence.</summary>
    public double Beta { get; init; } = 0.5;

    /// <summary>μ of AKL's head/tail split (AKL paper's code: 0.5).</summary>
    public double Mu { get; init; } = 0.5;

    /// <summary>Batches whose teacher answers are requested ahead of the one training.</summary>
    public int PrefetchDepth { get; init; } = 2;

    /// <summary>Evaluate every this many steps (and at step 0 and the end).</summary>
    public int EvalInterval { get; init; } = 100;

    /// <summary>Write a checkpoint every this many steps (and at the end).</summary>
    public int CheckpointInterval { get; init; } = 100;

    /// <summary>A change of teacher version mid-run stops the run instead of being logged and counted.</summary>
    public bool PinTeacherVersion { get; init; }

    [JsonIgnore] public bool UsesTeacher => Lambda > 0;

    public DivergenceOptions DivergenceOptions => new(Temperature, Alpha, Beta, Mu);

    public void Validate()
    {
        Student.Validate();
        if (Steps < 1) throw new ArgumentException($"--steps must be ≥ 1, got {Steps}");
        if (EpochSteps is { } epoch && (epoch < 1 || epoch > Steps)) throw new ArgumentException($"an epoch of {epoch} steps does not fit a run of {Steps}");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {BatchSize}");
        if (GradientAccumulation < 1) throw new ArgumentException($"--grad-accum must be ≥ 1, got {GradientAccumulation}");
        if (SequenceLength < 2 || SequenceLength > Student.ContextLength)
            throw new ArgumentException($"--seq-len must be in [2, {Student.ContextLength}] (the student's context), got {SequenceLength}");
        if (!(PeakLearningRate > 0) || !(FinalLearningRate >= 0) || FinalLearningRate > PeakLearningRate)
            throw new ArgumentException("learning rates must satisfy 0 ≤ --min-lr ≤ --lr, --lr > 0");
        if (WarmupSteps < 1) throw new ArgumentException($"--warmup must be ≥ 1, got {WarmupSteps}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be ≥ 0, got {WeightDecay}");
        if (!(GradientClip > 0)) throw new ArgumentException($"--clip must be > 0, got {GradientClip}");
        if (!(Lambda is >= 0 and <= 1)) throw new ArgumentException($"--lambda must be in [0, 1], got {Lambda}");
        if (TopK < 1 || TopK > Student.VocabSize) throw new ArgumentException($"--k must be in [1, {Student.VocabSize}], got {TopK}");
        if (!(Temperature >= 1e-4) || double.IsInfinity(Temperature)) throw new ArgumentException($"--temperature must be finite and ≥ 1e-4, got {Temperature}");
        DivergenceOptions.Validate();
        if (PrefetchDepth < 0) throw new ArgumentException($"--prefetch must be ≥ 0, got {PrefetchDepth}");
        if (EvalInterval < 1) throw new ArgumentException($"--eval-interval must be ≥ 1, got {EvalInterval}");
        if (CheckpointInterval < 1) throw new ArgumentException($"--checkpoint-interval must be ≥ 1, got {CheckpointInterval}");
    }
}
