using System.Threading.Channels;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Onnx;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Models;

/// <summary>Rescans the models folder after file events have been quiet for the debounce time, and periodically.</summary>
public sealed class ModelFolderWatcher(ModelFolderScanner scanner, IOptions<TeacherServerOptions> options, MemoryBudgets budgets, ILogger<ModelFolderWatcher> logger)
    : BackgroundService
{
    private readonly Channel<bool> changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!Directory.Exists(scanner.Root))
        {
            logger.LogWarning("The models folder {Root} does not exist; creating it", scanner.Root);
            Directory.CreateDirectory(scanner.Root);
        }
        var settings = options.Value;
        logger.LogInformation("Watching models folder {Root}; provider {Provider}, top-k selected on the {Placement}, intra-op threads {Threads}, max k {MaxK}, max batch tokens {MaxBatchTokens}, max queue {MaxQueue}, API key {ApiKey}",
            scanner.Root, settings.ExecutionProvider, TopKPlacements.Resolve(settings.TopKPlacement, settings.ExecutionProvider) == TopKPlacement.Graph ? "device (in the graph)" : "host", settings.IntraOpThreads, settings.MaxK, settings.MaxBatchTokens, settings.MaxQueue, settings.ApiKey is null ? "off" : "on");
        logger.LogInformation("Memory the GC may use {Available} bytes; work budget {Work} bytes, body budget {Bodies} bytes, largest body {MaxBody} bytes",
            MemoryBudgets.AvailableMemoryBytes, budgets.Work.Capacity, budgets.Bodies.Capacity, budgets.MaxBodyBytes);
        using var watcher = TryWatch(scanner.Root);

        var debounce = TimeSpan.FromMilliseconds(options.Value.WatchDebounceMilliseconds);
        var period = TimeSpan.FromSeconds(options.Value.RescanSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await scanner.ScanAsync(stoppingToken);
                if (await WaitForChangeAsync(period, stoppingToken))
                {
                    while (await WaitForChangeAsync(debounce, stoppingToken))
                    {
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Scanning the models folder failed");
                await Task.Delay(debounce, stoppingToken);
            }
        }
    }

    /// <summary>Signals a change on every file event; null (polling only) when the system refuses a watcher.</summary>
    private FileSystemWatcher? TryWatch(string root)
    {
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler changed = (_, _) => changes.Writer.TryWrite(true);
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, _) => changes.Writer.TryWrite(true);
            watcher.Error += (_, e) =>
            {
                logger.LogWarning(e.GetException(), "The models folder watcher lost events; rescanning");
                changes.Writer.TryWrite(true);
            };
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (IOException e)
        {
            watcher?.Dispose();
            logger.LogWarning("Cannot watch {Root} ({Reason}); rescanning every {Seconds} s instead", root, e.Message, options.Value.RescanSeconds);
            return null;
        }
    }

    /// <summary>True when a file event arrives within <paramref name="timeout"/>.</summary>
    private async Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timer.CancelAfter(timeout);
        try
        {
            await changes.Reader.ReadAsync(timer.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
