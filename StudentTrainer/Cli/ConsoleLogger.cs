using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Distill.StudentTrainer.Cli;

/// <summary>Writes the teacher client's warnings (a replica down or back, replicas on different versions) as console lines.</summary>
public sealed class ConsoleLogger(string prefix) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        string line = $"{prefix}: {formatter(state, exception)}";
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected) AnsiConsole.MarkupLine(Markup.Escape(line));
        else Console.WriteLine(line);
    }
}
