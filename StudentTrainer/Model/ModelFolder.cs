using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A model on disk, as every command reads it: a Hugging Face folder (<c>config.json</c> and safetensors weights, see
/// <see cref="HuggingFaceCheckpoint"/>), or this project's older checkpoint form (<c>model.json</c> + <c>model.weights</c>),
/// read as the gpt2 family. Models are always written as Hugging Face folders.
/// </summary>
public static class ModelFolder
{
    /// <summary>Whether <paramref name="folder"/> holds a model configuration in either form.</summary>
    public static bool HoldsModel(string folder) =>
        File.Exists(Path.Combine(folder, ModelConfig.FileName)) || File.Exists(Path.Combine(folder, LegacyCheckpoint.ConfigFile));

    /// <summary>Whether <paramref name="folder"/> holds weights beside its configuration.</summary>
    public static bool HoldsWeights(string folder) => HoldsModel(folder) &&
        (File.Exists(Path.Combine(folder, LegacyCheckpoint.WeightsFile)) || HuggingFaceCheckpoint.WeightFiles(folder).Count > 0);

    /// <summary>The configuration of the model in <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no model configuration.</exception>
    public static ModelConfig ReadConfig(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string config = Path.Combine(folder, ModelConfig.FileName);
        if (File.Exists(config)) return ModelConfig.Read(config);
        string legacy = Path.Combine(folder, LegacyCheckpoint.ConfigFile);
        if (File.Exists(legacy)) return ModelConfig.Read(legacy);
        throw NoModel(folder);
    }

    private static FileNotFoundException NoModel(string folder) =>
        new($"'{folder}' holds no model: neither {ModelConfig.FileName} nor {LegacyCheckpoint.ConfigFile}", Path.Combine(folder, ModelConfig.FileName));

    /// <summary>The model in <paramref name="folder"/>, in evaluation mode, on <paramref name="device"/> when given.</summary>
    public static CausalLm Load(string folder, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!HoldsModel(folder)) throw NoModel(folder);
        CausalLm model = File.Exists(Path.Combine(folder, ModelConfig.FileName))
            ? HuggingFaceCheckpoint.Load(folder)
            : LegacyCheckpoint.Load(folder);
        if (device is not null) model.to(device);
        model.eval();
        return model;
    }

    /// <summary>The model in <paramref name="folder"/>, which must have the shape <paramref name="expected"/> (e.g. a run's student).</summary>
    /// <exception cref="ArgumentException">The model is of another shape.</exception>
    public static CausalLm LoadOfShape(string folder, ModelConfig expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!ReadConfig(folder).SameShape(expected))
            throw new ArgumentException($"the weights in '{folder}' are of another model shape than the student's");
        return Load(folder);
    }

    /// <summary>Copies the weights of the model in <paramref name="folder"/>, which must be of the same shape, into <paramref name="model"/>.</summary>
    public static void LoadWeightsInto(CausalLm model, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        using CausalLm saved = LoadOfShape(folder, model.Config);
        using var noGrad = no_grad();
        var source = saved.state_dict();
        foreach ((string name, Tensor target) in model.state_dict())
            target.copy_(source[name]);
    }

    /// <summary>Writes <paramref name="model"/> as a Hugging Face folder (float32 weights).</summary>
    public static void Save(CausalLm model, string folder) => HuggingFaceCheckpoint.Save(model, folder);

    /// <summary>
    /// A model configuration named on the command line: <c>student</c> or <c>teacher</c> (the project's GPT-2 presets), a
    /// configuration file (Hugging Face's <c>config.json</c> or the older <c>model.json</c> form), or a model folder.
    /// </summary>
    /// <exception cref="ArgumentException">It is none of these.</exception>
    public static ModelConfig ResolveConfig(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        switch (nameOrPath.ToLowerInvariant())
        {
            case "teacher": return Gpt2Config.Teacher;
            case "student": return Gpt2Config.Student;
        }
        if (Directory.Exists(nameOrPath)) return ReadConfig(nameOrPath);
        if (File.Exists(nameOrPath)) return ModelConfig.Read(nameOrPath);
        throw new ArgumentException($"'{nameOrPath}' is neither a known model configuration (teacher, student), a configuration file nor a model folder");
    }
}
