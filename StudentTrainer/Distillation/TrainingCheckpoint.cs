using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Resumable checkpoints of a run: <c>checkpoints/step-NNNNNN/</c> holds the model (config.json, model.safetensors), the
/// optimiser state and <c>state.json</c>. A checkpoint is written into a hidden temporary folder; every file and folder
/// of it is flushed to the disk; it is renamed into place (or, when a folder of that step exists, exchanged with it
/// in one atomic step) and the checkpoints folder flushed; only then does <c>checkpoints/latest</c> (replaced
/// atomically and durably) name it. So a crash or power loss at any moment leaves <c>latest</c> naming a complete
/// checkpoint, and no save removes the folder <c>latest</c> names. The newest <see cref="Keep"/> checkpoints are kept.
/// </summary>
public static class TrainingCheckpoint
{
    public const string Folder = "checkpoints";
    public const string LatestFile = "latest";
    public const string OptimizerFile = "optimizer.state";
    public const string StateFile = "state.json";
    public const int Keep = 2;

    private const string TemporarySuffix = ".tmp";

    // NaN losses of a pending train record are written as "NaN".
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <param name="writeExtra">Writes more files (a trainer's own state) into the checkpoint folder before it is moved into place.</param>
    /// <param name="files">How the checkpoint reaches the disk; null: <see cref="DurableCheckpointFiles"/>.</param>
    /// <returns>The checkpoint folder written.</returns>
    public static string Save(string runFolder, CausalLm model, AdamWOptimizer optimizer, TrainingState state, Action<string>? writeExtra = null,
                              ICheckpointFiles? files = null) =>
        Save(runFolder, model, optimizer, state, state.Step, writeExtra, files);

    /// <summary>A checkpoint whose <c>state.json</c> holds another trainer's state record (JSON-serialisable) at <paramref name="step"/>.</summary>
    /// <param name="writeExtra">Writes more files (a trainer's own state) into the checkpoint folder before it is moved into place.</param>
    /// <param name="files">How the checkpoint reaches the disk; null: <see cref="DurableCheckpointFiles"/>.</param>
    /// <returns>The checkpoint folder written.</returns>
    public static string Save<TState>(string runFolder, CausalLm model, AdamWOptimizer optimizer, TState state, int step,
                                      Action<string>? writeExtra = null, ICheckpointFiles? files = null)
    {
        files ??= DurableCheckpointFiles.Instance;
        string root = Path.Combine(runFolder, Folder);
        bool newRoot = !Directory.Exists(root);
        Directory.CreateDirectory(root);
        if (newRoot) files.Flush(Path.GetFullPath(runFolder));
        foreach (string stale in Directory.GetDirectories(root, $".step-*{TemporarySuffix}")) files.Delete(stale); // left by a crash
        string name = $"step-{step:D6}";
        string final = Path.Combine(root, name);
        string temporary = Path.Combine(root, $".{name}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            ModelFolder.Save(model, temporary);
            optimizer.Save(Path.Combine(temporary, OptimizerFile));
            File.WriteAllBytes(Path.Combine(temporary, StateFile), JsonSerializer.SerializeToUtf8Bytes(state, JsonOptions));
            writeExtra?.Invoke(temporary);
            foreach (string file in Directory.GetFiles(temporary, "*", SearchOption.AllDirectories)) files.Flush(file);
            foreach (string folder in Directory.GetDirectories(temporary, "*", SearchOption.AllDirectories).Reverse()) files.Flush(folder);
            files.Flush(temporary);
            if (Directory.Exists(final)) files.Exchange(temporary, final); // the earlier save of this step is now in the temporary folder
            else files.Move(temporary, final);
            files.Flush(root);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
        files.Replace(Path.Combine(root, LatestFile), System.Text.Encoding.UTF8.GetBytes(name));
        if (Directory.Exists(temporary)) files.Delete(temporary);
        foreach (string old in Directory.GetDirectories(root, "step-*").Order(StringComparer.Ordinal).SkipLast(Keep).Where(d => d != final))
            files.Delete(old);
        return final;
    }

    // Cleaning up after a failed save must not hide why it failed; a folder left behind is deleted by the next save.
    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The checkpoint folder <c>latest</c> names in a run folder (or the folder itself when it is a checkpoint).</summary>
    public static string Locate(string runOrCheckpointFolder)
    {
        if (File.Exists(Path.Combine(runOrCheckpointFolder, StateFile))) return runOrCheckpointFolder;
        string latest = Path.Combine(runOrCheckpointFolder, Folder, LatestFile);
        if (!File.Exists(latest))
            throw new FileNotFoundException($"'{runOrCheckpointFolder}' holds no checkpoint (no {Folder}/{LatestFile})", latest);
        string folder = Path.Combine(runOrCheckpointFolder, Folder, File.ReadAllText(latest).Trim());
        if (!File.Exists(Path.Combine(folder, StateFile)))
            throw new InvalidDataException($"'{latest}' names '{folder}', which is not a complete checkpoint");
        return folder;
    }

    public static TrainingState ReadState(string checkpointFolder) => ReadState<TrainingState>(checkpointFolder);

    /// <summary>The step of a checkpoint, whichever trainer's state record it holds (each names it <c>step</c>).</summary>
    public static int ReadStep(string checkpointFolder) => ReadState<StepOnly>(checkpointFolder).Step;

    /// <summary>The step of a checkpoint and what of its bookkeeping is pending, whichever trainer's state record it holds.</summary>
    public static (int Step, StepTail? Pending) ReadResumePoint(string checkpointFolder)
    {
        StepOnly point = ReadState<StepOnly>(checkpointFolder);
        return (point.Step, point.Pending);
    }

    /// <summary>The state record <see cref="Save{TState}"/> wrote.</summary>
    public static TState ReadState<TState>(string checkpointFolder)
    {
        string path = Path.Combine(checkpointFolder, StateFile);
        try
        {
            return JsonSerializer.Deserialize<TState>(File.ReadAllText(path), JsonOptions)
                   ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a training state: {e.Message}", e);
        }
    }

    private sealed record StepOnly
    {
        [JsonPropertyName("step")] public required int Step { get; init; }

        [JsonPropertyName("pending")] public StepTail? Pending { get; init; }
    }

    /// <summary>Loads weights and optimiser state into a model and optimiser built for the same options.</summary>
    public static void Restore(string checkpointFolder, CausalLm model, AdamWOptimizer optimizer)
    {
        ModelFolder.LoadWeightsInto(model, checkpointFolder);
        optimizer.Load(Path.Combine(checkpointFolder, OptimizerFile));
    }
}
