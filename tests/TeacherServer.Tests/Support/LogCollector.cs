using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>Keeps every log entry a host writes (after the host's level filters), for tests about what is logged.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> entries = new();

    public IReadOnlyCollection<LogEntry> Entries => entries;

    public ILogger CreateLogger(string categoryName) => new Collecting(categoryName, entries);

    public void Dispose()
    {
    }

    private sealed class Collecting(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
    }
}

public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);
