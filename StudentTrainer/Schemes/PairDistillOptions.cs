using System.Text.Json.Serialization;
using Distill.StudentTrainer.Distillation;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Everything that decides a run of <see cref="PairDistillationTrainer"/> on prompt → response pairs.</summary>
public sealed record PairDistillOptions
{
    /// <summary>
    /// The optimisation, objective and teacher options shared with corpus distillation. <see cref="DistillOptions.SequenceLength"/>
    /// is not used by the trainer: a batch is as long as its longest prompt + response.
    /// </summary>
    public required DistillOptions Distill { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<TrainMode>))]
    public TrainMode Mode { get; init; } = TrainMode.OffPolicy;

    /// <summary>TRL's GKDConfig <c>lmbda</c> default: half the batches are student samples.</summary>
    public const double DefaultStudentFraction = 0.5;

    /// <summary>GKD's λ, the probability of a batch of student samples in <see cref="TrainMode.OnPolicy"/>.</summary>
    public double StudentFraction { get; init; } = DefaultStudentFraction;

    /// <summary>Samples DistiLLM's replay buffer holds (its code's <c>--capacity</c> 1000); at least a batch.</summary>
    public int ReplayCapacity { get; init; } = ReplayBuffer<Data.TokenizedPair>.DefaultCapacity;

    /// <summary>DistiLLM's adaptive schedule (threshold, ε, replay ratio).</summary>
    public DistillmOptions Distillm { get; init; } = new();

    /// <summary>The student samples and the teacher generates (SeqKD) at temperature 1 with top-p 1: pure sampling, as DistiLLM's <c>--gen-top-p</c> 1.0.</summary>
    public const double SamplingTemperature = 1.0;

    /// <summary>Whether the run asks the teacher anything: for top-k (λ &gt; 0) or for SeqKD's responses.</summary>
    [JsonIgnore] public bool UsesTeacher => Distill.UsesTeacher || Mode == TrainMode.SeqKd;

    /// <summary>The divergence a mode uses unless one is named: DistiLLM's best, srkl (α = 0.1), for distillm; fkl otherwise.</summary>
    public static DivergenceKind DefaultDivergence(TrainMode mode) => mode == TrainMode.Distillm ? DivergenceKind.Srkl : DivergenceKind.Fkl;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Distill);
        Distill.Validate();
        if (Mode == TrainMode.MiniLlm) throw new ArgumentException("--mode minillm is trained by the MiniLLM trainer, not the pair trainer");
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"unknown training mode {Mode}");
        if (!(StudentFraction is >= 0 and <= 1)) throw new ArgumentException($"--student-fraction must be in [0, 1], got {StudentFraction}");
        if (ReplayCapacity < Distill.BatchSize)
            throw new ArgumentException($"--replay-capacity must be at least a batch ({Distill.BatchSize}), got {ReplayCapacity}");
        ArgumentNullException.ThrowIfNull(Distillm);
        Distillm.Validate();
    }
}
