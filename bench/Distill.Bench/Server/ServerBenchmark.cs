using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Distill.Shared.Onnx;
using Distill.Shared.Wire;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Onnx;

namespace Distill.Bench.Server;

/// <summary>
/// Tokens/s of the same batch through HTTP (binary, JSON) and through ORT directly in-process, the gain of
/// dynamic batching for concurrent single-sequence clients, and the bytes per position of each encoding; in-process,
/// the top-k selected in C# beside the top-k selected in the graph, and the bytes per position each copies out of the session.
/// </summary>
public static class ServerBenchmark
{
    private const string ModelName = "bench";
    private const int BytesK = 64;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = ServerBenchmarkOptions.Parse(args);
        return await BenchModelFolder.ServeAsync(options.Model, ModelName, (folder, description, models) => RunAsync(options, folder, description, models));
    }

    private static async Task<int> RunAsync(ServerBenchmarkOptions options, string folder, string description, string models)
    {
        var threads = options.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var manifest = TeacherManifestReader.Read(folder);
        var length = Math.Min(options.Length, manifest.ContextLength);
        var random = new Random(1234);
        var vocab = manifest.VocabSize ?? 2;
        var batch = Enumerable.Range(0, options.Batch).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(vocab)).ToArray()).ToArray();
        var batchTokens = options.Batch * length;
        var request = new TopKRequest(batch, options.K, 1f);

        Console.WriteLine($"Server benchmark: {description}");
        Console.WriteLine($"  batch {options.Batch} x {length} tokens, k = {options.K}, ORT intra-op threads {(options.Threads == 0 ? "ORT default" : threads)}, {options.Seconds:0.#} s per figure, median of {options.Rounds} interleaved rounds, batching budget {(options.BatchTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "server default")} tokens, {Environment.ProcessorCount} logical cores");

        const int ShortLength = 16;
        var shortSequence = batch[0][..Math.Min(ShortLength, length)];
        var positions = (long)options.Batch * length;
        var temperatures = Enumerable.Repeat(1f, options.Batch).ToArray();
        var selectionThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        using var sessionOptions = SessionOptionsFactory.Create(ExecutionProviders.Cpu, options.Threads, folder);
        TeacherSession Open(TopKPlacement placement) => TeacherSession.Open(ModelProto.Parser.ParseFrom(File.ReadAllBytes(manifest.ModelPath)), manifest.LogitsName,
            sessionOptions, manifest.KeyValueHeads, manifest.HeadDim, manifest.VocabLimit, placement: placement);
        using var session = Open(TopKPlacement.Host);
        using var graphSession = Open(TopKPlacement.Graph);
        var sessionBytes = new Dictionary<TopKPlacement, long>();
        Task Direct(TeacherSession direct)
        {
            using var output = direct.Run(batch, temperatures, wantLastLogits: false, options.K);
            sessionBytes[direct.Placement] = output.TopKBytes;
            var ids = new int[positions * options.K];
            var logprobs = new float[positions * options.K];
            // As the server's batcher does: rows selected in parallel on as many threads as ORT may use.
            Parallel.For(0, options.Batch, new ParallelOptions { MaxDegreeOfParallelism = selectionThreads }, row =>
                output.SelectTopK(row * length, length, options.K,
                    ids.AsSpan(row * length * options.K, length * options.K),
                    logprobs.AsSpan(row * length * options.K, length * options.K)));
            _ = output.NextLogprobs.ToArray();
            return Task.CompletedTask;
        }
        var batchedSettings = new Dictionary<string, string> { ["TeacherServer:IntraOpThreads"] = threads };
        if (options.BatchTokens is { } budget)
        {
            batchedSettings["TeacherServer:MaxBatchTokens"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        using var server = new BenchServer(models, batchedSettings);
        // A token budget of one sequence makes every ORT run a single row: the unbatched server.
        using var unbatchedServer = new BenchServer(models, new Dictionary<string, string>
        {
            ["TeacherServer:IntraOpThreads"] = threads,
            ["TeacherServer:MaxBatchTokens"] = "1",
            ["TeacherServer:BatchWindowMilliseconds"] = "0",
        });
        await server.WaitReadyAsync();
        await unbatchedServer.WaitReadyAsync();

        // Rounds interleave the figures so that load from other processes falls on all of them alike; medians are printed.
        var figures = new Dictionary<string, List<double>>();
        async Task Record(string name, Func<Task<double>> measure)
        {
            var value = await measure();
            if (!figures.TryGetValue(name, out var values))
            {
                figures[name] = values = [];
            }
            values.Add(value);
        }
        for (var round = 0; round < options.Rounds; round++)
        {
            await Record("direct", () => MeasureAsync(batchTokens, options.Seconds, () => Direct(session)));
            await Record("direct graph", () => MeasureAsync(batchTokens, options.Seconds, () => Direct(graphSession)));
            await Record("binary", () => MeasureAsync(batchTokens, options.Seconds, () => PostBinaryAsync(server.Client, request, float16: false)));
            await Record("json", () => MeasureAsync(batchTokens, options.Seconds, () => PostJsonAsync(server.Client, request)));
            await Record("unbatched", () => ConcurrentClientsAsync(unbatchedServer.Client, options, batch[0]));
            await Record("batched", () => ConcurrentClientsAsync(server.Client, options, batch[0]));
            await Record("unbatched short", () => ConcurrentClientsAsync(unbatchedServer.Client, options, shortSequence));
            await Record("batched short", () => ConcurrentClientsAsync(server.Client, options, shortSequence));
        }
        double Median(string name)
        {
            var sorted = figures[name].Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var (direct, directGraph, binary, json) = (Median("direct"), Median("direct graph"), Median("binary"), Median("json"));
        var (unbatched, batched, unbatchedShort, batchedShort) = (Median("unbatched"), Median("batched"), Median("unbatched short"), Median("batched short"));

        var bytesRequest = request with { K = BytesK };
        long binaryBytes = (await PostBinaryAsync(server.Client, bytesRequest, float16: false)).Length;
        long halfBytes = (await PostBinaryAsync(server.Client, bytesRequest, float16: true)).Length;
        long jsonBytes = (await PostJsonAsync(server.Client, bytesRequest)).Length;

        Console.WriteLine();
        Console.WriteLine($"{"throughput, same model and batch",-52}{"tokens/s",12}{"vs direct",12}");
        Row("ORT direct in-process, top-k selected in C#", direct, direct);
        Row("ORT direct, top-k selected in the graph", directGraph, direct);
        Row("HTTP binary (float32 log-probs)", binary, direct);
        Row("HTTP JSON", json, direct);
        Console.WriteLine();
        Console.WriteLine($"{$"dynamic batching, {options.Clients} concurrent clients x 1 sequence",-52}{"tokens/s",12}{"gain",12}");
        Row($"{length} tokens: unbatched (one sequence per ORT run)", unbatched, unbatched);
        Row($"{length} tokens: batched", batched, unbatched);
        Row($"{shortSequence.Length} tokens: unbatched", unbatchedShort, unbatchedShort);
        Row($"{shortSequence.Length} tokens: batched", batchedShort, unbatchedShort);
        Console.WriteLine();
        Console.WriteLine($"{$"bytes per position at k = {BytesK} ({positions} positions)",-52}{"bytes",12}{"vs binary",12}");
        Row("binary float32", binaryBytes / (double)positions, binaryBytes / (double)positions, "0.0");
        Row("binary float16", halfBytes / (double)positions, binaryBytes / (double)positions, "0.0");
        Row("JSON", jsonBytes / (double)positions, binaryBytes / (double)positions, "0.0");
        Console.WriteLine();
        Console.WriteLine($"{$"bytes per position out of the session at k = {options.K}",-52}{"bytes",12}{"vs host",12}");
        var hostBytes = sessionBytes[TopKPlacement.Host] / (double)positions;
        Row("top-k on the host: V·4 + 4 (all log-probs, next)", hostBytes, hostBytes, "0.0");
        Row("top-k in the graph: k·8 + 4 (top k and ids, next)", sessionBytes[TopKPlacement.Graph] / (double)positions, hostBytes, "0.0");
        return 0;
    }

    private static void Row(string label, double value, double baseline, string format = "0") =>
        Console.WriteLine($"  {label,-50}{value.ToString(format, System.Globalization.CultureInfo.InvariantCulture),12}{(value / baseline).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "x",12}");

    /// <summary>Tokens per second of <paramref name="call"/> run back to back for <paramref name="seconds"/>, after two warm-up calls.</summary>
    private static async Task<double> MeasureAsync(int tokensPerCall, double seconds, Func<Task> call)
    {
        await call();
        await call();
        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await call();
            calls++;
        }
        return calls * (double)tokensPerCall / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> ConcurrentClientsAsync(HttpClient client, ServerBenchmarkOptions options, int[] sequence)
    {
        var single = new TopKRequest([sequence], options.K, 1f);
        await PostBinaryAsync(client, single, float16: false);
        var calls = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed.TotalSeconds < options.Seconds)
            {
                await PostBinaryAsync(client, single, float16: false);
                Interlocked.Increment(ref calls);
            }
        })));
        return calls * (double)sequence.Length / clock.Elapsed.TotalSeconds;
    }

    private static async Task<byte[]> PostBinaryAsync(HttpClient client, TopKRequest request, bool float16)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{ModelName}/topk")
        {
            Content = new ByteArrayContent(TopKBinaryCodec.EncodeRequest(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        message.Headers.Accept.ParseAdd(float16 ? $"{WireMediaTypes.TopKBinary}; {WireMediaTypes.PrecisionParameter}={WireMediaTypes.Float16}" : WireMediaTypes.TopKBinary);
        using var response = await client.SendAsync(message);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync();
        _ = TopKBinaryCodec.DecodeResponse(bytes);
        return bytes;
    }

    private static async Task<byte[]> PostJsonAsync(HttpClient client, TopKRequest request)
    {
        using var response = await client.PostAsJsonAsync($"/v1/models/{ModelName}/topk", request);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync();
        _ = JsonSerializer.Deserialize(bytes, WireJsonContext.Default.TopKResponse);
        return bytes;
    }
}
