using System.Text.Json.Serialization;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// Everything that decides a MiniLLM run (<see cref="MiniLlmTrainer"/>). A step is one rollout of
/// <see cref="BatchSize"/> prompts followed by <see cref="PpoEpochs"/> optimiser updates over it, each with one batch of
/// corpus windows for the language-modelling loss. Sources of the defaults: docs/papers.md (microsoft/LMOps <c>minillm/</c>).
/// </summary>
public sealed record MiniLlmTrainerOptions
{
    public required ModelConfig Student { get; init; }

    /// <summary>The scheme's own settings: teacher mix α, PPO clip, rewards, returns, stabilisers, LM coefficient.</summary>
    public MiniLlmOptions MiniLlm { get; init; } = new();

    /// <summary>Rollout steps; the run makes <see cref="Steps"/> × <see cref="PpoEpochs"/> optimiser updates.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Prompts per rollout (LMOps's scripts: 4 per device and minibatch).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>
    /// Passes over each rollout, one optimiser update each (<c>--ppo-epochs 4</c> in LMOps's MiniLLM scripts, where a pass
    /// runs in minibatches over 256 rollouts; here a rollout is one batch, so a pass is one update).
    /// </summary>
    public int PpoEpochs { get; init; } = 4;

    /// <summary>Most response tokens sampled per prompt; null: the pair's own response length (always the upper bound).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>End-of-sequence id: a row that samples it ends there (the id itself is trained on); null: rows run to their length.</summary>
    public int? EosId { get; init; }

    /// <summary>Id that fills the prompts' left padding and, without <see cref="EosId"/>, the places after a row ended.</summary>
    public int PadId { get; init; }

    /// <summary>Teacher ids per sampled position; the rest of the teacher's mass is spread like the student's (<see cref="TeacherFullDistribution"/>).</summary>
    public int TopK { get; init; } = 256;

    /// <summary>Corpus windows per update for the language-modelling loss.</summary>
    public int LmBatchSize { get; init; } = 8;

    /// <summary>Tokens per corpus window; at most the student's context.</summary>
    public int LmSequenceLength { get; init; } = 128;

    /// <summary>
    /// Peak learning rate. Policy-gradient fine-tuning uses a small one (LMOps's scripts: 5e-6 for GPT-2); scaled up here for
    /// models a thousand times smaller, and a tenth of the distillation trainer's peak.
    /// </summary>
    public double PeakLearningRate { get; init; } = 2e-4;

    public double FinalLearningRate { get; init; } = 2e-5;

    /// <summary>Linear warmup, in optimiser updates.</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>AdamW decoupled weight decay on 2-D weights (LMOps: <c>--weight-decay</c> 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Clip the global gradient L2 norm to this value (LMOps: <c>--clip-grad</c> 1).</summary>
    public double GradientClip { get; init; } = 1.0;

    public int Seed { get; init; } = 1234;

    /// <summary>Evaluate every this many steps (and at step 0 and the end).</summary>
    public int EvalInterval { get; init; } = 50;

    /// <summary>Write a checkpoint every this many steps (and at the end).</summary>
    public int CheckpointInterval { get; init; } = 50;

    /// <summary>A change of teacher version mid-run stops the run instead of being logged and counted.</summary>
    public bool PinTeacherVersion { get; init; }

    /// <summary>Optimiser updates of the whole run.</summary>
    [JsonIgnore] public int Updates => Steps * PpoEpochs;

    public void Validate()
    {
        Student.Validate();
        ArgumentNullException.ThrowIfNull(MiniLlm, nameof(MiniLlm));
        MiniLlm.Validate();
        if (Steps < 1) throw new ArgumentException($"--steps must be ≥ 1, got {Steps}");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {BatchSize}");
        if (PpoEpochs < 1) throw new ArgumentException($"--ppo-epochs must be ≥ 1, got {PpoEpochs}");
        if (MaxNewTokens is < 1) throw new ArgumentException($"--max-new-tokens must be ≥ 1, got {MaxNewTokens}");
        if (EosId is { } eos && (eos < 0 || eos >= Student.VocabSize))
            throw new ArgumentException($"the end-of-sequence id must be in [0, {Student.VocabSize}), got {eos}");
        if (PadId < 0 || PadId >= Student.VocabSize) throw new ArgumentException($"the pad id must be in [0, {Student.VocabSize}), got {PadId}");
        if (TopK < 1 || TopK > Student.VocabSize) throw new ArgumentException($"--k must be in [1, {Student.VocabSize}], got {TopK}");
        if (LmBatchSize < 1) throw new ArgumentException($"the LM batch size must be ≥ 1, got {LmBatchSize}");
        if (LmSequenceLength < 1 || LmSequenceLength > Student.ContextLength)
            throw new ArgumentException($"the LM sequence length must be in [1, {Student.ContextLength}] (the student's context), got {LmSequenceLength}");
        if (!(PeakLearningRate > 0) || !(FinalLearningRate >= 0) || FinalLearningRate > PeakLearningRate)
            throw new ArgumentException("learning rates must satisfy 0 ≤ --min-lr ≤ --lr, --lr > 0");
        if (WarmupSteps < 1) throw new ArgumentException($"--warmup must be ≥ 1, got {WarmupSteps}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be ≥ 0, got {WeightDecay}");
        if (!(GradientClip > 0)) throw new ArgumentException($"--clip must be > 0, got {GradientClip}");
        if (EvalInterval < 1) throw new ArgumentException($"--eval-interval must be ≥ 1, got {EvalInterval}");
        if (CheckpointInterval < 1) throw new ArgumentException($"--checkpoint-interval must be ≥ 1, got {CheckpointInterval}");
    }
}
