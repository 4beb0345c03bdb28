using Distill.StudentTrainer.Training;
using Spectre.Console;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// Shows a training run on the console: a live progress bar (loss, tokens/s, ETA) on a terminal, and a
/// plain line every <see cref="PlainLineEvery"/> steps when output is redirected (logs, CI).
/// </summary>
public sealed class ConsoleTrainingReporter : ITrainingReporter
{
    private const int PlainLineEvery = 50;
    private readonly ProgressTask? _task;
    private double? _lastLoss;

    public ConsoleTrainingReporter(ProgressTask? task) => _task = task;

    public void Step(StepReport report)
    {
        if (report.Loss is not null) _lastLoss = report.Loss;
        string lossText = _lastLoss is double l ? l.ToString("F3") : "…";
        string waiting = report.TeacherWaitShare is double share ? $"  teacher wait {share:P0}" : "";
        string line = $"step {report.Step}/{report.TotalSteps}  loss {lossText}  lr {report.LearningRate:E2}  {report.TokensPerSecond:N0} tok/s{waiting}";
        if (_task is not null)
        {
            _task.MaxValue = report.TotalSteps;
            _task.Value = report.Step;
            _task.Description = line;
        }
        else if (report.Step % PlainLineEvery == 0 || report.Step == report.TotalSteps)
        {
            Console.WriteLine(line);
        }
    }

    public void Evaluated(int step, string split, double meanLoss, double perplexity) =>
        Message($"step {step}: {split} loss {meanLoss:F4}, perplexity {perplexity:F2}");

    public void Message(string text)
    {
        if (_task is not null) AnsiConsole.MarkupLine(Markup.Escape(text));
        else Console.WriteLine(text);
    }

    /// <summary>Runs <paramref name="work"/> with a reporter suited to the console it runs on.</summary>
    public static T Run<T>(string title, Func<ITrainingReporter, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return work(new ConsoleTrainingReporter(null));
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => work(new ConsoleTrainingReporter(context.AddTask(title))));
    }
}
