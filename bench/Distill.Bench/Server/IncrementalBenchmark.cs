using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using static Distill.Bench.Statistics;

namespace Distill.Bench.Server;

/// <summary>
/// MiniLLM's access pattern on the default teacher: the next-token top-k after every token of a continuation of a
/// batch of prompts. Four ways, interleaved over rounds, each as a ratio to one full-sequence pass over the final
/// sequences: recomputing the whole prefix at every step (a server without a prefix cache, asked for the last
/// position), incrementally with the prefix cache, the same with the graph as exported (the past copied into present.*
/// at every step, --split-past false), and the pass itself, after untimed warm-up rounds of all (the first round also
/// times JIT compilation and the growth of ORT's arena). Each server answers an untimed whole pass right before it is
/// timed: the first request to a server that sat idle while another was timed ran about a quarter slower with two ORT
/// threads, which made a timed pass look slower than it is. Also the bytes per position of the encodings.
/// </summary>
public static class IncrementalBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var flags = new BenchFlags(args);
        var model = flags.Text("model") ?? "models/austen-gpt";
        int batch = flags.Int("batch", 8), promptLength = flags.Int("prompt", 64), steps = flags.Int("steps", 128), k = flags.Int("k", 64);
        int rounds = flags.Int("rounds", 5), warmup = flags.Int("warmup", 1), threads = flags.Int("threads", 0);
        flags.RequireAllRead();

        var roundSequences = TestSplitSequences(model, batch, promptLength + steps, warmup + rounds);
        var sequences = roundSequences[^1];
        var modelsFolder = Path.GetFullPath(Path.GetDirectoryName(Path.GetFullPath(model))!);
        var name = Path.GetFileName(Path.GetFullPath(model));
        string[] common = ["--threads", threads.ToString(CultureInfo.InvariantCulture)];
        await using var cached = new ServerProcess(null, modelsFolder, new Dictionary<string, string>(), common, sampleMemory: false);
        await using var uncached = new ServerProcess(null, modelsFolder, new Dictionary<string, string>(), [.. common, "--prefix-cache-bytes", "0"], sampleMemory: false);
        await using var copying = new ServerProcess(null, modelsFolder, new Dictionary<string, string>(), [.. common, "--split-past", "false"], sampleMemory: false);
        await Task.WhenAll(cached.WaitReadyAsync(), uncached.WaitReadyAsync(), copying.WaitReadyAsync());
        long residentSplit = uncached.CurrentRssBytes, residentAsExported = copying.CurrentRssBytes;
        Console.WriteLine($"incremental: {name}, {batch} prompts of {promptLength} tokens (test split), next-token top-{k} after each of {steps} continuation tokens; " +
                          $"ORT threads {(threads == 0 ? "ORT's choice" : threads)}; {warmup} untimed warm-up round(s) (JIT, ORT's arena), then {rounds} rounds, medians");
        for (var round = 0; round < warmup; round++)
        {
            await PostAsync(uncached.Client, name, new TopKRequest(roundSequences[round], k, 1f));
            await PostAsync(copying.Client, name, new TopKRequest(roundSequences[round], k, 1f));
            await StepsAsync(uncached.Client, name, roundSequences[round], promptLength, k);
            await StepsAsync(cached.Client, name, roundSequences[round], promptLength, k);
            await StepsAsync(copying.Client, name, roundSequences[round], promptLength, k);
        }

        var onePass = new List<double>();
        var recompute = new List<double>();
        var incremental = new List<double>();
        var copied = new List<double>();
        var onePassAsExported = new List<double>();
        var inRuns = new List<double>();
        var inServer = new List<double>();
        var modelLabel = $"{{model=\"{name}\"}}";
        var runSum = "distill_run_seconds_sum" + modelLabel;
        var requestSum = $"distill_request_seconds_sum{{model=\"{name}\",endpoint=\"topk\"}}";
        for (var round = 0; round < rounds; round++)
        {
            // Text no earlier round used: the prompts miss the cache and run whole, as a new rollout's do.
            var text = roundSequences[warmup + round];
            var whole = new TopKRequest(text, k, 1f);
            await PostAsync(cached.Client, name, whole); // whole rows: neither looked up in nor kept by the cache
            double runsBefore = await cached.MetricAsync(runSum) ?? 0, serverBefore = await cached.MetricAsync(requestSum) ?? 0;
            incremental.Add(await TimeAsync(() => StepsAsync(cached.Client, name, text, promptLength, k)));
            inRuns.Add((await cached.MetricAsync(runSum) ?? 0) - runsBefore);
            inServer.Add((await cached.MetricAsync(requestSum) ?? 0) - serverBefore);
            await PostAsync(uncached.Client, name, whole);
            onePass.Add(await TimeAsync(() => PostAsync(uncached.Client, name, whole)));
            recompute.Add(await TimeAsync(() => StepsAsync(uncached.Client, name, text, promptLength, k)));
            await PostAsync(copying.Client, name, whole);
            copied.Add(await TimeAsync(() => StepsAsync(copying.Client, name, text, promptLength, k)));
            onePassAsExported.Add(await TimeAsync(() => PostAsync(copying.Client, name, whole)));
            Console.WriteLine($"  round {round + 1}: one pass {onePass[^1] * 1000:N0} ms, full recompute per step {recompute[^1]:N2} s, incremental {incremental[^1]:N2} s, " +
                              $"incremental copying the past {copied[^1]:N2} s, one pass as exported {onePassAsExported[^1] * 1000:N0} ms");
        }
        double pass = Median(onePass);
        Console.WriteLine($"{"",-52}{"seconds",10}{"vs one pass",13}");
        Console.WriteLine($"{"one full-sequence pass (all positions)",-52}{pass,10:N3}{1.0,12:F1}x");
        Console.WriteLine($"{"  the same, graph as exported",-52}{Median(onePassAsExported),10:N3}{Median(onePassAsExported) / pass,12:F2}x   (--split-past false)");
        Console.WriteLine($"{"every step, full recompute (no prefix cache)",-52}{Median(recompute),10:N3}{Median(recompute) / pass,12:F1}x");
        Console.WriteLine($"{"every step, incremental (prefix cache)",-52}{Median(incremental),10:N3}{Median(incremental) / pass,12:F1}x");
        Console.WriteLine($"{"  the same, past copied into present.* each step",-52}{Median(copied),10:N3}{Median(copied) / pass,12:F1}x   (--split-past false)");
        // A pass and the rollouts of one round run within seconds of each other, so their ratio is less exposed to this
        // machine's memory bandwidth changing between rounds than a ratio of medians taken over all rounds.
        var perRound = incremental.Select((t, r) => t / onePass[r]).ToList();
        Console.WriteLine($"incremental ÷ the same round's pass: {string.Join(", ", perRound.Select(x => $"{x:F1}x"))} (median {Median(perRound):F1}x); " +
                          $"past copied: {string.Join(", ", copied.Select((t, r) => $"{t / onePass[r]:F1}x"))} (median {Median(copied.Select((t, r) => t / onePass[r]).ToList()):F1}x)");
        Console.WriteLine($"incremental, where the time goes (medians): ORT runs and top-k selection {Median(inRuns):N3} s, the rest of the server's work " +
                          $"(decoding, cache lookup, answer) {Median(inServer) - Median(inRuns):N3} s, HTTP and client {Median(incremental) - Median(inServer):N3} s");
        Console.WriteLine($"resident after loading: {residentSplit / 1e6:N0} MB with the split-past graph, {residentAsExported / 1e6:N0} MB as exported");
        Console.WriteLine($"prefix cache: {await cached.MetricAsync("distill_prefix_cache_hit_positions_total" + modelLabel):N0} positions reused, " +
                          $"{await cached.MetricAsync("distill_prefix_cache_bytes" + modelLabel):N0} bytes held, {await cached.MetricAsync("distill_prefix_cache_evictions_total" + modelLabel) ?? 0:N0} evictions");

        Console.WriteLine($"bytes per position at k = {k} (measured on a {sequences.Length} × {sequences[0].Length} answer):");
        var positions = sequences.Sum(s => s.Length);
        foreach (var (label, precision, compact) in new[] { ("int32 ids + float32", false, false), ("int32 ids + float16", true, false), ("uint16 ids + float16", true, true) })
        {
            var bytes = await AnswerBytesAsync(cached.Client, name, new TopKRequest(sequences, k, 1f), precision, compact);
            Console.WriteLine($"  {label,-24}{(double)bytes / positions,10:N1}   (payload {TopKBinaryCodec.BytesPerPosition(k, precision ? LogprobPrecision.Float16 : LogprobPrecision.Float32, compact ? IdWidth.UInt16 : IdWidth.Int32)} + header)");
        }
        return 0;
    }

    /// <summary>After each continuation token, the top-k of every row's last position.</summary>
    private static async Task StepsAsync(HttpClient client, string model, int[][] sequences, int promptLength, int k)
    {
        for (var length = promptLength; length <= sequences[0].Length; length++)
        {
            var rows = sequences.Select(s => s[..length]).ToArray();
            await PostAsync(client, model, new TopKRequest(rows, k, 1f, Start: length - 1));
        }
    }

    private static async Task<long> PostAsync(HttpClient client, string model, TopKRequest request) =>
        await AnswerBytesAsync(client, model, request, float16: true, compactIds: true);

    private static async Task<long> AnswerBytesAsync(HttpClient client, string model, TopKRequest request, bool float16, bool compactIds)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{model}/topk") { Content = new ByteArrayContent(TopKBinaryCodec.EncodeRequest(request)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        var accept = new MediaTypeWithQualityHeaderValue(WireMediaTypes.TopKBinary);
        if (float16) accept.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.PrecisionParameter, WireMediaTypes.Float16));
        if (compactIds) accept.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.IdsParameter, WireMediaTypes.UInt16));
        message.Headers.Accept.Add(accept);
        using var response = await client.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"top-k failed with {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        TopKBinaryCodec.DecodeResponse(body);
        return body.Length;
    }

    private static async Task<double> TimeAsync(Func<Task> work)
    {
        var clock = Stopwatch.StartNew();
        await work();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>For each round, rows of the test split, each starting at an evenly spaced place; no two rounds share text.</summary>
    private static int[][][] TestSplitSequences(string model, int rows, int length, int rounds)
    {
        var tokenizer = TokenizerLoader.Load(model);
        var tokens = BookCorpus.Load("data/austen").Texts(CorpusSplit.Test).SelectMany(tokenizer.Encode).ToArray();
        var spacing = tokens.Length / rows;
        if (spacing < rounds * length) throw new InvalidOperationException("the test split is too short for that many rounds");
        return Enumerable.Range(0, rounds)
            .Select(round => Enumerable.Range(0, rows).Select(r => tokens[(r * spacing + round * length)..(r * spacing + (round + 1) * length)]).ToArray())
            .ToArray();
    }
}
