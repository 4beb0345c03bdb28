using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.Bench.Quality;

/// <summary>
/// The quality bench's append-only <c>quality-runs.jsonl</c>: one JSON line per finished (method, seed) run, on disk
/// as soon as the run finishes, so a killed bench keeps every run that finished. A run done again is appended too;
/// the report keeps the last line of each pair. A last line cut short by a killed write is ignored with a warning when
/// reading, and dropped before the next line is appended.
/// </summary>
public sealed class QualityStore
{
    public const string FileName = "quality-runs.jsonl";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public QualityStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>Appends <paramref name="result"/> as one line and flushes it to disk.</summary>
    public void Append(QualityResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result, JsonOptions) + "\n");
        EndWithCompleteLine();
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(line);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Every stored run in file order (none when there is no file), and a warning per line ignored.</summary>
    /// <exception cref="InvalidDataException">A line other than a last one cut short is not a run.</exception>
    public StoredRuns ReadAll()
    {
        var runs = new List<QualityResult>();
        var warnings = new List<string>();
        if (!File.Exists(Path)) return new StoredRuns(runs, warnings);
        string[] lines = File.ReadAllText(Path, Encoding.UTF8).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string text = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(text)) continue;
            string where = $"{Path} line {i + 1}";
            bool unterminated = i == lines.Length - 1;
            if (!unterminated)
            {
                runs.Add(Parse(text, where));
                continue;
            }
            try { runs.Add(Parse(text, where)); }
            catch (InvalidDataException error)
            {
                warnings.Add($"{where} is cut short (a write that was killed) and is ignored: {error.Message}");
            }
        }
        return new StoredRuns(runs, warnings);
    }

    /// <summary>Reads one line written by <see cref="Append"/>.</summary>
    /// <exception cref="InvalidDataException">The line is not a run.</exception>
    public static QualityResult Parse(string line, string where)
    {
        try
        {
            QualityResult result = JsonSerializer.Deserialize<QualityResult>(line, JsonOptions)
                ?? throw new InvalidDataException($"{where}: null is not a run.");
            if (string.IsNullOrWhiteSpace(result.Method)) throw new InvalidDataException($"{where}: the method is empty.");
            return result;
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{where}: {error.Message}", error);
        }
    }

    /// <summary>Ends the file with a '\n': an unterminated last run is completed, a write cut short is cut off.</summary>
    private void EndWithCompleteLine()
    {
        if (!File.Exists(Path)) return;
        byte[] content = File.ReadAllBytes(Path);
        int complete = Array.LastIndexOf(content, (byte)'\n') + 1;
        if (complete == content.Length) return;
        bool isRun = true;
        try { Parse(Encoding.UTF8.GetString(content, complete, content.Length - complete), $"{Path} last line"); }
        catch (InvalidDataException) { isRun = false; }
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.Read);
        if (isRun)
        {
            stream.Seek(0, SeekOrigin.End);
            stream.Write("\n"u8);
        }
        else
        {
            stream.SetLength(complete);
        }
    }
}

/// <summary>The runs of a <see cref="QualityStore"/> in file order, and why lines were ignored.</summary>
public sealed record StoredRuns(IReadOnlyList<QualityResult> Runs, IReadOnlyList<string> Warnings)
{
    /// <summary>The last stored run of each (method, seed) pair: a run done again replaces the earlier one.</summary>
    public IReadOnlyList<QualityResult> Latest() => LatestOf(Runs);

    /// <summary>The last run of each (method, seed) pair among <paramref name="runs"/>, in the order each pair first appears.</summary>
    public static IReadOnlyList<QualityResult> LatestOf(IEnumerable<QualityResult> runs)
    {
        var latest = new Dictionary<QualityPair, QualityResult>();
        var order = new List<QualityPair>();
        foreach (QualityResult run in runs)
        {
            if (!latest.ContainsKey(run.Pair)) order.Add(run.Pair);
            latest[run.Pair] = run;
        }
        return [.. order.Select(pair => latest[pair])];
    }
}
