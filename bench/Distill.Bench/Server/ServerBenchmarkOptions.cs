namespace Distill.Bench.Server;

/// <summary>Flags of the server benchmark.</summary>
/// <param name="Model">Model folder; default models/austen-gpt when it exists, else a random GPT exported to a temp folder.</param>
/// <param name="Batch">Sequences per request in the throughput comparison.</param>
/// <param name="Length">Tokens per sequence.</param>
/// <param name="K">Top-k of every request.</param>
/// <param name="Seconds">Measuring time of each figure.</param>
/// <param name="Clients">Concurrent single-sequence clients in the batching comparison.</param>
/// <param name="Threads">ORT intra-op threads, for the server and the direct session alike (0 = ORT's choice).</param>
/// <param name="Rounds">Interleaved repetitions of every figure; the median is printed.</param>
/// <param name="BatchTokens">MaxBatchTokens of the batching server; null keeps the server's default.</param>
public sealed record ServerBenchmarkOptions(string? Model, int Batch, int Length, int K, double Seconds, int Clients, int Threads, int Rounds, int? BatchTokens)
{
    public static ServerBenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var flags = new BenchFlags(args);
        var options = new ServerBenchmarkOptions(flags.Text("model"), flags.Int("batch", 8), flags.Int("length", 128), flags.Int("k", 64),
            flags.Double("seconds", 3), flags.Int("clients", 16), flags.Int("threads", 0), flags.Int("rounds", 3), flags.OptionalInt("batch-tokens"));
        flags.RequireAllRead();
        return options;
    }
}
