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

    public void Step(int step, int totalSteps, double? loss, double learningRate, double tokensPerSecond)
    {
        if (loss is not null) _lastLoss = loss;
        string lossText = _lastLoss is double l ? l.ToString("F3") : "…";
        if (_task is not null)
        {
            _task.MaxValue = totalSteps;
            _task.Value = step;
            _task.Description = $"step {step}/{totalSteps}  loss {lossText}  lr {learningRate:E2}  {tokensPerSecond:N0} tok/s";
        }
        else if (step % PlainLineEvery == 0 || step == totalSteps)
        {
            Console.WriteLine($"step {step}/{totalSteps}  loss {lossText}  lr {learningRate:E2}  {tokensPerSecond:N0} tok/s");
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
