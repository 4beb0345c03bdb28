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
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'");
            }
            values[args[i][2..]] = args[++i];
        }
        int Int(string name, int fallback) => values.Remove(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
        var options = new ServerBenchmarkOptions(
            values.Remove("model", out var model) ? model : null,
            Int("batch", 8), Int("length", 128), Int("k", 64),
            values.Remove("seconds", out var seconds) ? double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 3,
            Int("clients", 16), Int("threads", 0), Int("rounds", 3),
            values.ContainsKey("batch-tokens") ? Int("batch-tokens", 0) : null);
        if (values.Count > 0)
        {
            throw new ArgumentException($"unknown flags: {string.Join(", ", values.Keys.Select(k => "--" + k))}");
        }
        return options;
    }
}
