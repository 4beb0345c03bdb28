namespace Distill.Bench.Server;

/// <summary>Flags of the flood benchmark.</summary>
/// <param name="Model">Model folder; default models/austen-gpt when it exists, else a random GPT exported to a temp folder.</param>
/// <param name="Server">Distill.TeacherServer.dll to start; default the build beside the benchmark (another build compares versions).</param>
/// <param name="HeapLimitBytes">DOTNET_GCHeapHardLimit of the server process, as a container sets it; 0 for none.</param>
/// <param name="Clients">Concurrent clients of the binary flood, one request each.</param>
/// <param name="Batch">Sequences per flood request.</param>
/// <param name="Length">Tokens per sequence (capped by the context length).</param>
/// <param name="K">Top-k of every flood request.</param>
/// <param name="JsonClients">Concurrent clients of the JSON flood (0 skips it).</param>
/// <param name="HugeSequences">Sequences of the single request whose answer is about 4 GB (8000 × 256 positions at k = 256).</param>
/// <param name="IdleUploads">Connections that claim a 67 MB body and send one byte.</param>
/// <param name="WorkBudgetBytes">The server's WorkBudgetBytes; null keeps its default.</param>
/// <param name="BodyBudgetBytes">The server's BodyBudgetBytes; null keeps its default.</param>
public sealed record FloodBenchmarkOptions(string? Model, string? Server, long HeapLimitBytes, int Clients, int Batch, int Length, int K,
    int JsonClients, int HugeSequences, int IdleUploads, long? WorkBudgetBytes, long? BodyBudgetBytes)
{
    /// <summary>1.5 GiB, the limit a container with 2 GB of memory gives the .NET GC (75%).</summary>
    public const long DefaultHeapLimit = 1536L << 20;

    public static FloodBenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var flags = new BenchFlags(args);
        var options = new FloodBenchmarkOptions(flags.Text("model"), flags.Text("server"), flags.Long("heap-limit", DefaultHeapLimit),
            flags.Int("clients", 24), flags.Int("batch", 64), flags.Int("length", 256), flags.Int("k", 256), flags.Int("json-clients", 4),
            flags.Int("huge-sequences", 8000), flags.Int("idle-uploads", 40),
            flags.Text("work-budget") is { } work ? long.Parse(work, System.Globalization.CultureInfo.InvariantCulture) : null,
            flags.Text("body-budget") is { } body ? long.Parse(body, System.Globalization.CultureInfo.InvariantCulture) : null);
        flags.RequireAllRead();
        return options;
    }
}
