namespace Distill.StudentTrainer.Schemes;

/// <summary>What <see cref="DistillmSchedule"/> must carry across a resume.</summary>
/// <param name="Threshold">The adaptive threshold τ.</param>
/// <param name="ReferenceLoss">The validation loss τ's next rise is measured from; null before the first observation.</param>
public sealed record DistillmScheduleState(double Threshold, double? ReferenceLoss);
