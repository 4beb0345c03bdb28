using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Resumable checkpoints of a run: <c>checkpoints/step-NNNNNN/</c> holds the model (config.json, model.safetensors), the
/// optimiser state and <c>state.json</c>. A checkpoint is written into a hidden temporary folder, flushed, renamed
/// into place, and only then named by <c>checkpoints/latest</c> (replaced atomically), so a crash at any moment leaves
/// the previous checkpoint loadable. The newest <see cref="Keep"/> checkpoints are kept.
/// </summary>
public static class TrainingCheckpoint
{
    public const string Folder = "checkpoints";
    public const string LatestFile = "latest";
    public const string OptimizerFile = "optimizer.state";
    public const string StateFile = "state.json";
    public const int Keep = 2;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <param name="writeExtra">Writes more files (a trainer's own state) into the checkpoint folder before it is moved into place.</param>
    /// <returns>The checkpoint folder written.</returns>
    public static string Save(string runFolder, CausalLm model, AdamWOptimizer optimizer, TrainingState state, Action<string>? writeExtra = null) =>
        Save(runFolder, model, optimizer, state, state.Step, writeExtra);

    /// <summary>A checkpoint whose <c>state.json</c> holds another trainer's state record (JSON-serialisable) at <paramref name="step"/>.</summary>
    /// <param name="writeExtra">Writes more files (a trainer's own state) into the checkpoint folder before it is moved into place.</param>
    /// <returns>The checkpoint folder written.</returns>
    public static string Save<TState>(string runFolder, CausalLm model, AdamWOptimizer optimizer, TState state, int step, Action<string>? writeExtra = null)
    {
        string root = Path.Combine(runFolder, Folder);
        Directory.CreateDirectory(root);
        string name = $"step-{step:D6}";
        string final = Path.Combine(root, name);
        string temporary = Path.Combine(root, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            ModelFolder.Save(model, temporary);
            optimizer.Save(Path.Combine(temporary, OptimizerFile));
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(state, JsonOptions);
            AtomicFile.Write(Path.Combine(temporary, StateFile), stream => stream.Write(json));
            writeExtra?.Invoke(temporary);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temporary, final);
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
        AtomicFile.Write(Path.Combine(root, LatestFile), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(name)));
        foreach (string old in Directory.GetDirectories(root, "step-*").Order(StringComparer.Ordinal).SkipLast(Keep))
            Directory.Delete(old, recursive: true);
        return final;
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

    /// <summary>The state record <see cref="Save{TState}"/> wrote.</summary>
    public static TState ReadState<TState>(string checkpointFolder)
    {
        string path = Path.Combine(checkpointFolder, StateFile);
        try
        {
            return JsonSerializer.Deserialize<TState>(File.ReadAllText(path))
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
    }

    /// <summary>Loads weights and optimiser state into a model and optimiser built for the same options.</summary>
    public static void Restore(string checkpointFolder, CausalLm model, AdamWOptimizer optimizer)
    {
        ModelFolder.LoadWeightsInto(model, checkpointFolder);
        optimizer.Load(Path.Combine(checkpointFolder, OptimizerFile));
    }
}
