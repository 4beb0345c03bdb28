using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Models;

/// <summary>
/// Brings the registry in line with the models folder: loads new or changed subfolders (a changed
/// folder is detected by a stamp of sizes and write times, confirmed by its content hash), publishes
/// them, unloads folders that are gone, and remembers rejected folders so they are retried only when
/// they change again.
/// </summary>
public sealed class ModelFolderScanner(ModelRegistry registry, ModelLoader loader, IOptions<TeacherServerOptions> options,
    IHostEnvironment environment, ILogger<ModelFolderScanner> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Dictionary<string, string> seenStamps = new(StringComparer.Ordinal);

    public string Root { get; } = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.ModelsPath));

    public async Task ScanAsync(CancellationToken cancellation)
    {
        await gate.WaitAsync(cancellation);
        try
        {
            Scan(cancellation);
        }
        finally
        {
            gate.Release();
        }
    }

    private void Scan(CancellationToken cancellation)
    {
        var folders = Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(f => !Path.GetFileName(f).StartsWith('.')).ToDictionary(f => Path.GetFileName(f), StringComparer.Ordinal)
            : [];
        foreach (var (name, folder) in folders.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cancellation.ThrowIfCancellationRequested();
            ScanFolder(name, folder);
        }
        foreach (var gone in seenStamps.Keys.Where(name => !folders.ContainsKey(name)).ToArray())
        {
            seenStamps.Remove(gone);
        }
        foreach (var model in registry.Models.Where(m => !folders.ContainsKey(m.Name)))
        {
            registry.Unload(model.Name);
        }
    }

    /// <summary>
    /// Loads the folder when its files changed since the last look. Any failure but cancellation rejects this folder
    /// alone, logged once per change of its files; the other folders are scanned as if it were not there.
    /// </summary>
    private void ScanFolder(string name, string folder)
    {
        string stamp;
        try
        {
            stamp = ContentHasher.Stamp(folder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The error stands in for the stamp: the same error again is the same state of the folder.
            if (seenStamps.TryGetValue(name, out var seenError) && seenError == "!" + e.Message)
            {
                return;
            }
            seenStamps[name] = "!" + e.Message;
            Reject(name, folder, e);
            return;
        }
        if (seenStamps.TryGetValue(name, out var seen) && seen == stamp)
        {
            return;
        }
        seenStamps[name] = stamp;
        try
        {
            var version = ContentHasher.Version(folder);
            if (registry.Find(name)?.Version == version)
            {
                return;
            }
            logger.LogInformation("Loading model {Model} version {Version} from {Folder}", name, version, folder);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var model = loader.Load(folder, version);
            logger.LogInformation("Loaded model {Model} version {Version} in {Seconds:0.00} s: vocabulary {VocabSize}, context {ContextLength}, tokenizer {Tokenizer}",
                name, version, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, model.VocabSize, model.ContextLength, model.Tokenizer.Kind);
            registry.Publish(model);
        }
        catch (OperationCanceledException)
        {
            seenStamps.Remove(name); // not a verdict on the folder: look again next time
            throw;
        }
        catch (Exception e)
        {
            Reject(name, folder, e);
        }
    }

    private void Reject(string name, string folder, Exception e)
    {
        TeacherMetrics.ModelLoadFailures.WithLabels(name).Inc();
        var serving = registry.Find(name);
        var outcome = serving is null ? "The model is not served." : $"Version {serving.Version} keeps serving.";
        if (e is IncompatibleModelException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("Rejected model folder {Folder}: {Reason}. {Serving}", folder, e.Message.TrimEnd('.'), outcome);
        }
        else
        {
            // Not a failure the loader anticipated: the stack trace helps, and it is logged once per change of the files.
            logger.LogError(e, "Rejected model folder {Folder}: {Reason}. {Serving}", folder, $"{e.GetType().Name}: {e.Message.TrimEnd('.')}", outcome);
        }
    }
}
