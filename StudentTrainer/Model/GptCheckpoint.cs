using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A trained model on disk: <c>model.json</c> (the <see cref="GptConfig"/>) and <c>model.weights</c>
/// (TorchSharp's state-dict format), usually beside the tokenizer files it was trained with.
/// </summary>
public static class GptCheckpoint
{
    public const string ConfigFile = "model.json";
    public const string WeightsFile = "model.weights";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static void Save(Gpt model, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ConfigFile), JsonSerializer.Serialize(model.Config, JsonOptions));
        string weights = Path.Combine(folder, WeightsFile);
        string temporary = weights + ".tmp";
        model.save(temporary);
        File.Move(temporary, weights, overwrite: true);
    }

    public static GptConfig LoadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"no {ConfigFile} in '{folder}': not a model checkpoint folder", path);
        return GptConfig.Resolve(path);
    }

    public static Gpt Load(string folder, Device? device = null)
    {
        GptConfig config = LoadConfig(folder);
        string weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights))
            throw new FileNotFoundException($"no {WeightsFile} in '{folder}'", weights);
        var model = new Gpt(config);
        model.load(weights);
        if (device is not null) model.to(device);
        model.eval();
        return model;
    }

    /// <summary>The checkpoint in <paramref name="folder"/>, which must have the shape <paramref name="expected"/> (e.g. a run's student).</summary>
    /// <exception cref="ArgumentException">The checkpoint is of another shape.</exception>
    public static Gpt LoadOfShape(string folder, GptConfig expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (LoadConfig(folder) != expected)
            throw new ArgumentException($"the initial weights in '{folder}' are of another model shape than the student's options");
        return Load(folder);
    }
}
