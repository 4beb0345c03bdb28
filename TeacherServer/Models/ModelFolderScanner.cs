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

    private void ScanFolder(string name, string folder)
    {
        try
        {
            var stamp = ContentHasher.Stamp(folder);
            if (seenStamps.TryGetValue(name, out var seen) && seen == stamp)
            {
                return;
            }
            var version = ContentHasher.Version(folder);
            if (registry.Find(name)?.Version == version)
            {
                seenStamps[name] = stamp;
                return;
            }
            try
            {
                logger.LogInformation("Loading model {Model} version {Version} from {Folder}", name, version, folder);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var model = loader.Load(folder, version);
                logger.LogInformation("Loaded model {Model} version {Version} in {Seconds:0.00} s: vocabulary {VocabSize}, context {ContextLength}, tokenizer {Tokenizer}",
                    name, version, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, model.VocabSize, model.ContextLength, model.Tokenizer?.Kind ?? "none");
                registry.Publish(model);
            }
            catch (IncompatibleModelException e)
            {
                TeacherMetrics.ModelLoadFailures.WithLabels(name).Inc();
                var serving = registry.Find(name);
                logger.LogError("Rejected model folder {Folder}: {Reason}. {Serving}", folder, e.Message.TrimEnd('.'),
                    serving is null ? "The model is not served." : $"Version {serving.Version} keeps serving.");
            }
            seenStamps[name] = stamp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Model folder {Folder} could not be read ({Reason}); it will be retried", folder, e.Message);
        }
    }
}
