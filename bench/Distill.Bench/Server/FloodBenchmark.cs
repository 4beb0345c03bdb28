using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Distill.Shared.Wire;
using Distill.TeacherServer.Models;

namespace Distill.Bench.Server;

/// <summary>
/// What a flood does to the server's memory, in a server process of its own with a container's heap limit: an
/// amplifying flood (small requests, large answers), one request whose answer would be about 4 GB, idle uploads that
/// claim huge bodies, and a JSON flood. Prints the status codes, the peak managed heap beside the bound the README
/// states, and the peak resident memory; the server must answer no 500 and stay up.
/// </summary>
public static class FloodBenchmark
{
    private const string ModelName = "bench";
    private const long IdleClaim = 67_000_000;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = FloodBenchmarkOptions.Parse(args);
        return await BenchModelFolder.ServeAsync(options.Model, ModelName, (folder, description, models) => RunAsync(options, folder, description, models));
    }

    private static async Task<int> RunAsync(FloodBenchmarkOptions options, string folder, string description, string models)
    {
        var manifest = TeacherManifestReader.Read(folder);
        var vocab = manifest.VocabSize ?? 2;
        var length = Math.Min(options.Length, manifest.ContextLength);
        var environment = new Dictionary<string, string>();
        if (options.HeapLimitBytes > 0)
        {
            environment["DOTNET_GCHeapHardLimit"] = "0x" + options.HeapLimitBytes.ToString("X", CultureInfo.InvariantCulture);
        }
        var serverArguments = new List<string>();
        if (options.WorkBudgetBytes is { } work)
        {
            serverArguments.AddRange(["--work-budget-bytes", work.ToString(CultureInfo.InvariantCulture)]);
        }
        if (options.BodyBudgetBytes is { } bodies)
        {
            serverArguments.AddRange(["--body-budget-bytes", bodies.ToString(CultureInfo.InvariantCulture)]);
        }

        Console.WriteLine($"Flood benchmark: {description}");
        Console.WriteLine($"  server process {(options.Server ?? "built beside the benchmark")}, DOTNET_GCHeapHardLimit {(options.HeapLimitBytes > 0 ? $"{options.HeapLimitBytes} ({Mib(options.HeapLimitBytes)})" : "unset")}, {Environment.ProcessorCount} logical cores");
        await using var server = new ServerProcess(options.Server, models, environment, serverArguments);
        await server.WaitReadyAsync();
        var random = new Random(7);
        int[][] Sequences(int count) => Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(vocab)).ToArray()).ToArray();
        var flood = new TopKRequest(Sequences(options.Batch), options.K, 1f);
        // One flood request alone first: ONNX Runtime keeps the memory of its largest run, which the bound starts from.
        var calibration = Stopwatch.StartNew();
        await PostAsync(server.Client, flood, binary: true);
        var oneRun = calibration.Elapsed.TotalSeconds;
        await Task.Delay(500);
        var workBudget = await server.MetricAsync("distill_budget_bytes{budget=\"work\"}");
        var bodyBudget = await server.MetricAsync("distill_budget_bytes{budget=\"body\"}");
        var idleHeap = (long)(await server.MetricAsync("dotnet_total_memory_bytes") ?? 0);
        var idleRss = server.CurrentRssBytes;
        Console.WriteLine($"  after one flood request alone ({oneRun:0.0} s): managed heap {Mib(idleHeap)}, resident {Mib(idleRss)} (ONNX Runtime's run memory included)");
        Console.WriteLine(workBudget is null
            ? "  the server has no memory budgets (a build before them)"
            : $"  budgets: work {Mib((long)workBudget)}, body {Mib((long)bodyBudget!)}");
        Console.WriteLine();
        Console.WriteLine($"{"phase",-52}{"statuses",-22}{"seconds",9}{"peak heap",12}{"peak RSS",12}");

        var all = new Dictionary<int, int>();
        await Phase(server, all, $"binary flood: {options.Clients} x ({options.Batch} x {length} at k = {options.K})",
            () => Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => PostAsync(server.Client, flood, binary: true))));
        var huge = new TopKRequest(Sequences(options.HugeSequences), options.K, 1f);
        var hugeAnswer = (long)options.HugeSequences * length * TopKBinaryCodec.BytesPerPosition(options.K, LogprobPrecision.Float32);
        await Phase(server, all, $"one {hugeAnswer / 1e9:0.0} GB answer ({options.HugeSequences} x {length} at k = {options.K})",
            async () => [await PostAsync(server.Client, huge, binary: true)]);
        huge = null;
        await Phase(server, all, $"{options.IdleUploads} idle uploads claiming {IdleClaim / 1e6:0} MB",
            () => IdleUploadsAsync(server, options.IdleUploads));
        if (options.JsonClients > 0)
        {
            await Phase(server, all, $"JSON flood: {options.JsonClients} x ({options.Batch} x {length} at k = {options.K})",
                () => Task.WhenAll(Enumerable.Range(0, options.JsonClients).Select(_ => PostAsync(server.Client, flood, binary: false))));
        }

        Console.WriteLine();
        var alive = !server.HasExited && (await server.Client.GetAsync("/health/live")).IsSuccessStatusCode;
        var errors = all.Where(s => s.Key >= 500).Sum(s => s.Value);
        var peakHeap = server.PeakHeapOverallBytes;
        if (workBudget is not null)
        {
            var budgets = (long)workBudget + 2 * (long)bodyBudget!;
            Console.WriteLine($"{"peak managed heap",-32}{Mib(peakHeap),10}   bound (README): {Mib(idleHeap)} after one request + work {Mib((long)workBudget)} + 2 x body {Mib((long)bodyBudget)} = {Mib(idleHeap + budgets)}");
            Console.WriteLine($"{"peak resident memory (VmHWM)",-32}{Mib(server.PeakRssBytes),10}   bound (README): {Mib(idleRss)} after one request + the same {Mib(budgets)} = {Mib(idleRss + budgets)}");
        }
        else
        {
            Console.WriteLine($"{"peak managed heap",-32}{Mib(peakHeap),10}");
            Console.WriteLine($"{"peak resident memory (VmHWM)",-32}{Mib(server.PeakRssBytes),10}");
        }
        Console.WriteLine($"server alive after the floods: {(alive ? "yes" : "NO")}; 5xx answers: {errors}");
        foreach (var line in server.Output.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("crit", StringComparison.OrdinalIgnoreCase)).Take(5))
        {
            Console.WriteLine($"  server: {line}");
        }
        return alive && errors == 0 ? 0 : 1;
    }

    private static async Task Phase(ServerProcess server, Dictionary<int, int> all, string name, Func<Task<int[]>> run)
    {
        await Task.Delay(300);
        server.ResetPeaks();
        var clock = Stopwatch.StartNew();
        var statuses = await run();
        var seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(200);
        foreach (var status in statuses)
        {
            all[status] = all.GetValueOrDefault(status) + 1;
        }
        var summary = string.Join(" ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "closed" : g.Key)}x{g.Count()}"));
        Console.WriteLine($"  {name,-50}{summary,-22}{seconds,9:0.0}{Mib(server.PeakHeapBytes),12}{Mib(server.PeakRssSampledBytes),12}");
    }

    /// <summary>Posts and reads the answer in 64 KiB pieces, keeping none of it; the status code, or 0 when the connection broke.</summary>
    private static async Task<int> PostAsync(HttpClient client, TopKRequest request, bool binary)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{ModelName}/topk")
        {
            Content = new ByteArrayContent(TopKBinaryCodec.EncodeRequest(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        message.Headers.Accept.ParseAdd(binary ? WireMediaTypes.TopKBinary : WireMediaTypes.Json);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 16];
            while (await body.ReadAsync(buffer) > 0)
            {
            }
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return 0;
        }
    }

    /// <summary>Connections that claim a huge body and send one byte, left until the server drops them; their status codes.</summary>
    private static async Task<int[]> IdleUploadsAsync(ServerProcess server, int count)
    {
        var connections = new List<TcpClient>();
        try
        {
            var head = Encoding.ASCII.GetBytes($"POST /v1/models/{ModelName}/topk HTTP/1.1\r\nHost: {server.Address.Authority}\r\n" +
                $"Content-Type: {WireMediaTypes.TopKBinary}\r\nContent-Length: {IdleClaim}\r\n\r\nD");
            var refused = 0;
            for (var i = 0; i < count; i++)
            {
                var connection = new TcpClient();
                try
                {
                    await connection.ConnectAsync(server.Address.Host, server.Address.Port);
                    await connection.GetStream().WriteAsync(head);
                    connections.Add(connection);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    connection.Dispose();
                    refused++;
                }
            }
            var statuses = await Task.WhenAll(connections.Select(c => StatusAsync(c.GetStream())));
            return [.. statuses, .. Enumerable.Repeat(0, refused)];
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    private static async Task<int> StatusAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[64];
        try
        {
            var read = await stream.ReadAtLeastAsync(buffer, 12, throwOnEndOfStream: false, timeout.Token);
            return read >= 12 ? int.Parse(Encoding.ASCII.GetString(buffer, 9, 3), CultureInfo.InvariantCulture) : 0;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return 0;
        }
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0} MiB";
}
