using Distill.StudentTrainer.Distillation;

namespace Distill.StudentTrainer.Schemes;

/// <summary>What a run of <see cref="PairDistillationTrainer"/> did: the shared figures and the mode's own.</summary>
/// <param name="Run">Steps, tokens (response tokens trained on), times, losses, evaluations, checkpoint.</param>
/// <param name="Sources">Batches by source over the whole run (all sessions).</param>
/// <param name="Threshold">DistiLLM's threshold τ at the end; null in other modes.</param>
/// <param name="ReplayBufferCount">Samples in DistiLLM's replay buffer at the end; null in other modes.</param>
/// <param name="TeacherResponses">SeqKD's teacher responses (generated, or read from the run folder); null in other modes.</param>
public sealed record PairDistillResult(
    DistillResult Run,
    TrainMode Mode,
    BatchSourceCounts Sources,
    double? Threshold,
    int? ReplayBufferCount,
    TeacherResponseSet? TeacherResponses);
