using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Training;

namespace Distill.Bench.Training;

/// <summary>
/// Training tokens/s and the share of time waiting for the teacher, over the whole run and over the steps after the
/// first (the first step alone must wait for a whole teacher answer, since nothing could be prefetched before it).
/// </summary>
public sealed record RunRates(double WholeRun, double AfterFirstStep, double WaitShare, double WaitShareAfterFirstStep)
{
    /// <param name="steps">Every step's report; a report's rate and wait share are cumulative since the run's start.</param>
    public static RunRates From(DistillResult result, IReadOnlyList<StepReport> steps, int tokensPerStep)
    {
        if (steps.Count < 2) throw new InvalidOperationException("at least two steps are needed");
        StepReport first = steps[0], last = steps[^1];
        double firstSeconds = Seconds(first, tokensPerStep), lastSeconds = Seconds(last, tokensPerStep);
        double firstWait = (first.TeacherWaitShare ?? 0) * firstSeconds, lastWait = (last.TeacherWaitShare ?? 0) * lastSeconds;
        double steadySeconds = lastSeconds - firstSeconds;
        return new RunRates(result.TokensPerSecond, (last.Step - first.Step) * (double)tokensPerStep / steadySeconds,
            result.TeacherWaitShare, (lastWait - firstWait) / steadySeconds);
    }

    private static double Seconds(StepReport report, int tokensPerStep) => report.Step * (double)tokensPerStep / report.TokensPerSecond;
}
