using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Tests.Training;

/// <summary>Records a training loop's logged losses and messages; <c>onStep</c> sees every step (e.g. to stop the run).</summary>
internal sealed class LossRecorder(Action<StepReport>? onStep = null) : ITrainingReporter
{
    public List<(int Step, double Loss)> Losses { get; } = [];

    public List<string> Messages { get; } = [];

    public void Step(StepReport report)
    {
        if (report.Loss is double l) Losses.Add((report.Step, l));
        onStep?.Invoke(report);
    }

    public void Evaluated(int step, string split, double meanLoss, double perplexity) { }

    public void Message(string text) => Messages.Add(text);
}
