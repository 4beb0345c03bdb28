using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Schemes;

/// <summary>DistiLLM's adaptive student-generated outputs; defaults from jongwooko/distillm (docs/papers.md).</summary>
/// <param name="InitThreshold">τ at the start (<c>--init-threshold</c> 0.0).</param>
/// <param name="LossEpsilon">ε: τ rises when the validation loss is at least this much above the reference (<c>--loss-eps</c> 0.1).</param>
/// <param name="ThresholdStep">How much τ rises each time (0.1 in DistiLLM's training loop).</param>
/// <param name="MaxThreshold">The cap on τ (1.0 in DistiLLM's training loop).</param>
/// <param name="ReplayRatio">How the generation probability follows τ (<c>--replay-ratio</c> decreasing).</param>
public sealed record DistillmOptions(
    double InitThreshold = 0.0,
    double LossEpsilon = 0.1,
    double ThresholdStep = 0.1,
    double MaxThreshold = 1.0,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ReplayRatio>))] ReplayRatio ReplayRatio = ReplayRatio.Decreasing)
{
    public void Validate()
    {
        if (!(MaxThreshold >= 0 && MaxThreshold <= 1))
            throw new ArgumentException($"the maximum threshold must be in [0, 1], got {MaxThreshold}");
        if (!(InitThreshold >= 0 && InitThreshold <= MaxThreshold))
            throw new ArgumentException($"the initial threshold must be in [0, {MaxThreshold}], got {InitThreshold}");
        if (!(LossEpsilon >= 0) || double.IsInfinity(LossEpsilon))
            throw new ArgumentException($"the loss epsilon must be a finite number ≥ 0, got {LossEpsilon}");
        if (!(ThresholdStep >= 0) || double.IsInfinity(ThresholdStep))
            throw new ArgumentException($"the threshold step must be a finite number ≥ 0, got {ThresholdStep}");
        if (!Enum.IsDefined(ReplayRatio))
            throw new ArgumentException($"unknown replay ratio {ReplayRatio}");
    }
}
