using System.Text;
using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// A run's append-only <c>metrics.jsonl</c>: one <see cref="MetricsLine"/> per record, each handed to the operating
/// system as soon as it is written, so a crash of the process loses no record. NaN and ±∞ are written as the strings
/// "NaN", "Infinity" and "-Infinity" and read back as those values. A line cut short by a crash is
/// ignored when reading and removed when the log is opened again. To resume a run at step s, call
/// <see cref="TruncateAfter"/>(folder, s) before <see cref="Open"/> so that the steps after s are not logged twice.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The file name of the log inside a run folder.</summary>
    public const string FileName = "metrics.jsonl";

    private readonly FileStream _stream;
    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly double _earlierSeconds;
    private readonly Lock _gate = new();

    private MetricsLog(FileStream stream, TimeProvider clock, double earlierSeconds)
    {
        _stream = stream;
        _clock = clock;
        _started = clock.GetTimestamp();
        _earlierSeconds = earlierSeconds;
    }

    /// <summary>The path of the log in <paramref name="runFolder"/>.</summary>
    public static string PathIn(string runFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runFolder);
        return Path.Combine(runFolder, FileName);
    }

    /// <summary>
    /// Opens the log of <paramref name="runFolder"/> for appending, creating the folder and the file when missing.
    /// Times continue from the last record already in the log.
    /// </summary>
    /// <param name="clock">Source of elapsed time (the system clock by default).</param>
    public static MetricsLog Open(string runFolder, TimeProvider? clock = null)
    {
        string path = PathIn(runFolder);
        Directory.CreateDirectory(runFolder);
        IReadOnlyList<MetricsRecord> earlier = ReadAll(runFolder);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            EndWithCompleteLine(stream, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        double earlierSeconds = earlier.Count == 0 ? 0 : earlier.Max(record => record.Time);
        return new MetricsLog(stream, clock ?? TimeProvider.System, earlierSeconds);
    }

    /// <summary>Appends one record stamped with the current time and returns it.</summary>
    /// <param name="step">Optimiser step, ≥ 0.</param>
    /// <param name="kind">What produced the values, e.g. <see cref="MetricsRecord.Train"/>.</param>
    /// <param name="values">Named values; names must be distinct, non-empty and not "step", "kind" or "time".</param>
    public MetricsRecord Append(long step, string kind, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(values);
        var named = new Dictionary<string, double>();
        foreach ((string name, double value) in values)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A metric needs a non-empty name.", nameof(values));
            if (MetricsLine.IsReserved(name)) throw new ArgumentException($"\"{name}\" is a field of every record, not a metric name.", nameof(values));
            if (!named.TryAdd(name, value)) throw new ArgumentException($"The metric \"{name}\" is given twice.", nameof(values));
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(!_stream.CanWrite, this);
            double time = _earlierSeconds + _clock.GetElapsedTime(_started).TotalSeconds;
            var record = new MetricsRecord(step, kind, time, named);
            _stream.Write(MetricsLine.Format(record));
            _stream.Flush();
            return record;
        }
    }

    /// <summary>Appends one record stamped with the current time and returns it.</summary>
    public MetricsRecord Append(long step, string kind, params ReadOnlySpan<(string Name, double Value)> values)
    {
        var pairs = new List<KeyValuePair<string, double>>(values.Length);
        foreach ((string name, double value) in values) pairs.Add(new(name, value));
        return Append(step, kind, pairs);
    }

    /// <summary>Every record in the log of <paramref name="runFolder"/>, in file order; none when there is no log.</summary>
    /// <exception cref="InvalidDataException">A line other than a last one cut short is not a record.</exception>
    public static IReadOnlyList<MetricsRecord> ReadAll(string runFolder) =>
        [.. ReadLines(PathIn(runFolder)).Select(line => line.Record)];

    /// <summary>
    /// Drops every record with a step after <paramref name="step"/> (and a last line cut short), rewriting the log
    /// atomically: readers see the old log or the new one, never a mix. Call it while no <see cref="MetricsLog"/> is open.
    /// </summary>
    /// <param name="rewrittenAtStep">Which records of <paramref name="step"/> itself to drop too: those the resumed run writes again.</param>
    /// <returns>The number of records dropped.</returns>
    public static int TruncateAfter(string runFolder, long step, Func<MetricsRecord, bool>? rewrittenAtStep = null)
    {
        string path = PathIn(runFolder);
        if (!File.Exists(path)) return 0;
        var lines = ReadLines(path);
        string[] kept = [.. lines.Where(line => line.Record.Step < step || line.Record.Step == step && rewrittenAtStep?.Invoke(line.Record) != true)
            .Select(line => line.Text)];
        AtomicFile.Write(path, stream =>
        {
            foreach (string text in kept) stream.Write(Encoding.UTF8.GetBytes(text + "\n"));
        });
        return lines.Count - kept.Length;
    }

    /// <summary>Closes the file; records already appended are on disk.</summary>
    public void Dispose()
    {
        lock (_gate) _stream.Dispose();
    }

    private static List<(string Text, MetricsRecord Record)> ReadLines(string path)
    {
        var lines = new List<(string, MetricsRecord)>();
        if (!File.Exists(path)) return lines;
        string content;
        using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Encoding.UTF8))
        {
            content = reader.ReadToEnd();
        }
        string[] texts = content.Split('\n');
        for (int i = 0; i < texts.Length; i++)
        {
            string text = texts[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(text)) continue;
            string where = $"{path} line {i + 1}";
            bool unterminated = i == texts.Length - 1;
            if (unterminated)
            {
                // The last line lacks its '\n': a complete record is kept, a write cut short by a crash is not.
                try { lines.Add((text, MetricsLine.Parse(text, where))); }
                catch (InvalidDataException) { }
            }
            else
            {
                lines.Add((text, MetricsLine.Parse(text, where)));
            }
        }
        return lines;
    }

    /// <summary>
    /// Leaves the stream positioned at its end after a '\n': an unterminated last line is completed when it is a
    /// record (as <see cref="ReadAll"/> counts it) and cut off when it is a write cut short.
    /// </summary>
    private static void EndWithCompleteLine(FileStream stream, string path)
    {
        var one = new byte[1];
        long complete = stream.Length;
        while (complete > 0)
        {
            stream.Seek(complete - 1, SeekOrigin.Begin);
            if (stream.Read(one) == 1 && one[0] == (byte)'\n') break;
            complete--;
        }
        if (complete < stream.Length)
        {
            stream.Seek(complete, SeekOrigin.Begin);
            var tail = new byte[stream.Length - complete];
            stream.ReadExactly(tail);
            bool isRecord = true;
            try { MetricsLine.Parse(Encoding.UTF8.GetString(tail), $"{path} last line"); }
            catch (InvalidDataException) { isRecord = false; }
            if (!isRecord) stream.SetLength(complete);
        }
        stream.Seek(0, SeekOrigin.End);
        if (complete < stream.Length) stream.Write("\n"u8);
    }
}
