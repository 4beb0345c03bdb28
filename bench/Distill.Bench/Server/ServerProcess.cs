using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Distill.Shared.Native;

namespace Distill.Bench.Server;

/// <summary>
/// The TeacherServer in a process of its own (so that its memory is its own), started with the environment a container
/// would give it, e.g. DOTNET_GCHeapHardLimit; samples its resident memory and managed heap while it runs.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly CancellationTokenSource stopSampling = new();
    private readonly Task sampling;
    private readonly Lock gate = new();
    private long peakHeap;
    private long peakHeapOverall;
    private long peakRss;

    /// <param name="serverDll">Distill.TeacherServer.dll; by default the one built beside this benchmark.</param>
    /// <param name="sampleMemory">Whether to sample the peaks every 50 ms; each sample scrapes /metrics, which costs the
    /// server CPU time, so a benchmark of latency leaves it off.</param>
    public ServerProcess(string? serverDll, string modelsFolder, IReadOnlyDictionary<string, string> environment, IEnumerable<string> arguments,
                         bool sampleMemory = true)
    {
        var port = FreePort();
        var dll = serverDll ?? Path.Combine(AppContext.BaseDirectory, "Distill.TeacherServer.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"no TeacherServer build at {dll}", dll);
        }
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var argument in new[] { dll, "--models", modelsFolder, "--urls", $"http://127.0.0.1:{port}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        MallocTuning.ForgetSettings(start.Environment);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Distill.TeacherServer.Models.ModelFolderWatcher"] = "Information";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        process = Process.Start(start) ?? throw new InvalidOperationException("the server process did not start");
        process.OutputDataReceived += (_, line) => Remember(line.Data);
        process.ErrorDataReceived += (_, line) => Remember(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Address = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(10) };
        sampling = sampleMemory ? Task.Run(SampleAsync) : Task.CompletedTask;
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public bool HasExited => process.HasExited;

    /// <summary>Lines the server wrote (its budgets, and any error), in order.</summary>
    public List<string> Output { get; } = [];

    /// <summary>The peak resident set of the whole process (native ONNX Runtime memory included), from /proc.</summary>
    public long PeakRssBytes => Math.Max(ProcStatus("VmHWM:"), PeakRssSampledBytes);

    /// <summary>The largest resident set sampled since <see cref="ResetPeaks"/>.</summary>
    public long PeakRssSampledBytes
    {
        get
        {
            lock (gate)
            {
                return peakRss;
            }
        }
    }

    /// <summary>The largest managed heap sampled since <see cref="ResetPeaks"/> (GC.GetTotalMemory in the server, collected or not).</summary>
    public long PeakHeapBytes
    {
        get
        {
            lock (gate)
            {
                return peakHeap;
            }
        }
    }

    /// <summary>The largest managed heap sampled since the start.</summary>
    public long PeakHeapOverallBytes
    {
        get
        {
            lock (gate)
            {
                return peakHeapOverall;
            }
        }
    }

    /// <summary>Forgets the peaks sampled so far, so that the next phase is measured alone (VmHWM cannot be reset).</summary>
    public void ResetPeaks()
    {
        lock (gate)
        {
            peakHeap = 0;
            peakRss = 0;
        }
    }

    public long CurrentRssBytes => ProcStatus("VmRSS:");

    public async Task WaitReadyAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {process.ExitCode}: {string.Join(Environment.NewLine, Output)}");
            }
            try
            {
                using var response = await Client.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the server never became ready");
    }

    /// <summary>One sample of a metric of the server's /metrics (the first series whose line starts with <paramref name="series"/>).</summary>
    public async Task<double?> MetricAsync(string series)
    {
        var text = await Client.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private async Task SampleAsync()
    {
        while (!stopSampling.IsCancellationRequested && !process.HasExited)
        {
            try
            {
                var heap = (long)(await MetricAsync("dotnet_total_memory_bytes") ?? 0);
                var rss = CurrentRssBytes;
                lock (gate)
                {
                    peakHeap = Math.Max(peakHeap, heap);
                    peakHeapOverall = Math.Max(peakHeapOverall, heap);
                    peakRss = Math.Max(peakRss, rss);
                }
                await Task.Delay(50, stopSampling.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
            }
        }
    }

    private long ProcStatus(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void Remember(string? line)
    {
        if (line is not null)
        {
            lock (Output)
            {
                Output.Add(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await stopSampling.CancelAsync();
        await sampling;
        Client.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        stopSampling.Dispose();
    }
}
