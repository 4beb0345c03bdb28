using Distill.StudentTrainer.Training;

namespace Distill.Bench.Training;

/// <summary>A silent reporter that keeps every step report.</summary>
public sealed class StepRecorder : ITrainingReporter
{
    public List<StepReport> Reports { get; } = [];

    public void Step(StepReport report) => Reports.Add(report);
    public void Evaluated(int step, string split, double meanLoss, double perplexity) { }
    public void Message(string text) { }
}
