using Distill.StudentTrainer.Training;

namespace Distill.Bench.Quality;

/// <summary>One line every 20 steps and every message, prefixed with the run's name.</summary>
public sealed class QualityReporter(string run) : ITrainingReporter
{
    public void Step(StepReport report)
    {
        if (report.Step % 20 == 0 || report.Step == report.TotalSteps)
            Console.WriteLine($"  [{run}] step {report.Step}/{report.TotalSteps}" + (report.Loss is double loss ? $" loss {loss:F4}" : "") + $", {report.TokensPerSecond:N0} tokens/s");
    }

    public void Evaluated(int step, string split, double meanLoss, double perplexity) =>
        Console.WriteLine($"  [{run}] step {step}: {split} perplexity {perplexity:F2}");

    public void Message(string text) => Console.WriteLine($"  [{run}] {text}");
}
