namespace Distill.StudentTrainer.Teacher;

/// <summary>A log file shared by a child process's stdout and stderr: whole lines, appended, flushed as they come.</summary>
internal sealed class ProcessLog : IDisposable
{
    private readonly Lock gate = new();
    private readonly StreamWriter writer;
    private bool disposed;

    public ProcessLog(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        writer = new StreamWriter(stream) { AutoFlush = true };
    }

    public string Path { get; }

    public void WriteLine(string? line)
    {
        if (line is null) return;
        lock (gate)
        {
            if (!disposed) writer.WriteLine(line); // a late line of a killed process may arrive after disposal
        }
    }

    /// <summary>The last <paramref name="count"/> lines of the file.</summary>
    public string Tail(int count)
    {
        lock (gate)
        {
            if (!disposed) writer.Flush();
        }
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new Queue<string>(count);
        while (reader.ReadLine() is { } line)
        {
            if (lines.Count == count) lines.Dequeue();
            lines.Enqueue(line);
        }
        return string.Join(Environment.NewLine, lines);
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            writer.Dispose();
        }
    }
}
