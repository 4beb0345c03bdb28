using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Distill.Shared.Native;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// A TeacherServer running as a child process on a loopback port, serving a models folder: started with
/// <c>dotnet Distill.TeacherServer.dll --models … --urls http://127.0.0.1:port</c>, logging to a file, ready once
/// <c>GET /health/ready</c> answers 200; it stops by itself when this process exits (<c>--parent-pid</c>), even by
/// SIGKILL. <see cref="StopAsync"/> kills the process tree; <see cref="StartAsync"/>
/// starts it again on the same port. Disposing stops it.
/// </summary>
public sealed class TeacherServerProcess : IAsyncDisposable
{
    private const int TailLines = 30;
    private readonly TeacherServerProcessOptions options;
    private readonly ProcessLog log;
    private Process? process;

    private TeacherServerProcess(TeacherServerProcessOptions options, int port)
    {
        this.options = options;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        log = new ProcessLog(options.LogFile);
    }

    public int Port { get; }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    public string LogFile => log.Path;

    public bool IsRunning => process is { HasExited: false };

    /// <summary>The id of the running server process (it changes on restart).</summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public int ProcessId => IsRunning ? process!.Id : throw new InvalidOperationException($"the TeacherServer on port {Port} is not running");

    /// <summary>Starts a server on a free loopback port serving <paramref name="modelsFolder"/>, with <paramref name="threads"/> ORT intra-op threads (0: ORT's choice).</summary>
    public static Task<TeacherServerProcess> StartAsync(string modelsFolder, string logFile, int threads, CancellationToken ct = default) =>
        StartAsync(new TeacherServerProcessOptions { ModelsFolder = modelsFolder, LogFile = logFile, Threads = threads }, ct);

    /// <summary>Starts a server and waits until it is ready.</summary>
    /// <exception cref="InvalidOperationException">The server exited before it was ready (the message holds the log's tail).</exception>
    /// <exception cref="TimeoutException">The server was not ready within <see cref="TeacherServerProcessOptions.ReadyTimeout"/>.</exception>
    public static async Task<TeacherServerProcess> StartAsync(TeacherServerProcessOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(options.ModelsFolder)) throw new DirectoryNotFoundException($"models folder '{options.ModelsFolder}' does not exist");
        if (!File.Exists(options.ServerAssembly)) throw new FileNotFoundException($"the TeacherServer is not at '{options.ServerAssembly}'", options.ServerAssembly);
        if (options.Port is < 0 or > IPEndPoint.MaxPort) throw new ArgumentException($"port must be in [0, {IPEndPoint.MaxPort}], got {options.Port}");
        if (options.Threads is < 0) throw new ArgumentException($"threads must be ≥ 0, got {options.Threads}");
        var server = new TeacherServerProcess(options, options.Port == 0 ? FreeLoopbackPort() : options.Port);
        try
        {
            await server.StartAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A port that was free on 127.0.0.1 a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Starts the server (again) on <see cref="Port"/> and waits until it is ready.</summary>
    /// <exception cref="InvalidOperationException">It is already running, or it exited before it was ready.</exception>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) throw new InvalidOperationException($"the TeacherServer on port {Port} is already running");
        process?.Dispose();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(options.ServerAssembly))!,
        };
        foreach (var argument in Arguments()) start.ArgumentList.Add(argument);
        // Without this every host watches appsettings.json: one inotify instance each, from a small per-user budget.
        start.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";
        MallocTuning.ForgetSettings(start.Environment);
        log.WriteLine($"=== {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff} starting: {start.FileName} {string.Join(' ', start.ArgumentList)}");

        var started = new Process { StartInfo = start };
        started.OutputDataReceived += (_, e) => log.WriteLine(e.Data);
        started.ErrorDataReceived += (_, e) => log.WriteLine(e.Data);
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
        try
        {
            await WaitUntilReadyAsync(started, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills the server's process tree and waits for it to exit; nothing happens when it is not running.</summary>
    public async Task StopAsync()
    {
        var running = process;
        if (running is null) return;
        try
        {
            if (!running.HasExited) running.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it exited between the check and the kill
        }
        await running.WaitForExitAsync().ConfigureAwait(false);
        log.WriteLine($"=== {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff} stopped (exit code {running.ExitCode})");
    }

    public async Task RestartAsync(CancellationToken ct = default)
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        process?.Dispose();
        process = null;
        log.Dispose();
    }

    private IEnumerable<string> Arguments()
    {
        yield return Path.GetFullPath(options.ServerAssembly);
        yield return "--models";
        yield return Path.GetFullPath(options.ModelsFolder);
        yield return "--urls";
        yield return $"http://127.0.0.1:{Port}";
        yield return "--parent-pid";    // the server ends with this process, however it ends
        yield return Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (options.Threads is { } threads)
        {
            yield return "--threads";
            yield return threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var argument in options.ExtraArguments) yield return argument;
    }

    private async Task WaitUntilReadyAsync(Process started, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (started.HasExited)
            {
                await started.WaitForExitAsync(ct).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"The TeacherServer exited with code {started.ExitCode} before it was ready. Last lines of {log.Path}:{Environment.NewLine}{log.Tail(TailLines)}");
            }
            try
            {
                using var response = await http.GetAsync("health/ready", ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // not listening yet
            }
            if (deadline.Elapsed > options.ReadyTimeout)
            {
                await StopAsync().ConfigureAwait(false);
                throw new TimeoutException(
                    $"The TeacherServer on port {Port} was not ready within {options.ReadyTimeout.TotalSeconds:0} s. Last lines of {log.Path}:{Environment.NewLine}{log.Tail(TailLines)}");
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The dotnet host: DOTNET_HOST_PATH, else this process when it is dotnet, else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment)) return fromEnvironment;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        return "dotnet";
    }
}
