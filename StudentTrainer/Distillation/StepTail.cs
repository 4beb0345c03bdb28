using System.Text.Json.Serialization;
using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// What of a step's bookkeeping after its update was still to do when its checkpoint was written after a failure: a
/// resumed run does it first, then trains the next step.
/// </summary>
/// <param name="Report">The progress report the reporter has not received.</param>
/// <param name="TrainRecord">The train record not yet in the metrics log; null when written or when the step logs none.</param>
/// <param name="EvaluationDue">The evaluation of the step (and what a trainer runs after it) has not completed.</param>
public sealed record StepTail(
    [property: JsonPropertyName("report")] StepReport? Report,
    [property: JsonPropertyName("train_record")] IReadOnlyDictionary<string, double>? TrainRecord,
    [property: JsonPropertyName("evaluation_due")] bool EvaluationDue)
{
    [JsonIgnore] public bool IsDone => Report is null && TrainRecord is null && !EvaluationDue;

    /// <summary>Whether the resumed run writes <paramref name="record"/> of the checkpoint's step again, so the log must drop it.</summary>
    public bool Rewrites(Evaluation.MetricsRecord record) =>
        record.Kind == Evaluation.MetricsRecord.Train ? TrainRecord is not null : EvaluationDue;
}
