using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A model folder of this project's earlier format: <c>model.json</c> (the old GPT configuration, read as a
/// <see cref="Gpt2Config"/>) and <c>model.weights</c> (TorchSharp's <c>Module.save</c> state dict, names such as
/// <c>wte.weight</c> and <c>h.0.attn.c_attn.weight</c>, every weight in Linear's (out, in) layout). Loaded into a
/// <see cref="Gpt2LMHeadModel"/>, which computes the same logits; save it with <see cref="HuggingFaceCheckpoint.Save"/>.
/// </summary>
public static class LegacyCheckpoint
{
    /// <summary>The old configuration file.</summary>
    public const string ConfigFile = "model.json";

    /// <summary>The old weights file.</summary>
    public const string WeightsFile = "model.weights";

    private const string Prefix = "transformer.";
    private static readonly string[] Conv1DWeights = [".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"];

    /// <summary>Whether <paramref name="folder"/> holds a checkpoint of the earlier format (and no <c>config.json</c>).</summary>
    public static bool IsLegacyFolder(string folder) =>
        File.Exists(Path.Combine(folder, ConfigFile)) && !File.Exists(Path.Combine(folder, ModelConfig.FileName));

    /// <summary>The GPT-2 the old checkpoint in <paramref name="folder"/> describes, in eval mode.</summary>
    /// <exception cref="FileNotFoundException">No <c>model.json</c> or <c>model.weights</c>.</exception>
    /// <exception cref="InvalidDataException">Not a GPT-2 configuration, or a missing, extra or misshapen tensor.</exception>
    public static Gpt2LMHeadModel Load(string folder, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string configPath = Path.Combine(folder, ConfigFile);
        string weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"no {ConfigFile} in '{folder}'", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"no {WeightsFile} in '{folder}'", weightsPath);
        if (ModelConfig.Read(configPath) is not Gpt2Config config)
            throw new InvalidDataException($"{configPath} does not describe a GPT of this project's earlier format");

        var model = new Gpt2LMHeadModel(config);
        try
        {
            var targets = new CheckpointTargets(model);
            Dictionary<string, Tensor> stored = ReadStateDict(weightsPath);
            try
            {
                foreach ((string name, Tensor tensor) in stored)
                {
                    using Tensor value = IsConv1DWeight(name) ? tensor.t() : tensor.alias();
                    string dtype = SafetensorsFile.WeightDtypes.FirstOrDefault(p => p.Value == value.dtype).Key ?? value.dtype.ToString();
                    if (targets.Claim(Prefix + name, dtype, value.shape, weightsPath) is { } target)
                        targets.Fill(target, value);
                }
            }
            finally
            {
                foreach (Tensor tensor in stored.Values) tensor.Dispose();
            }
            targets.EnsureComplete(weightsPath);
            if (device is not null) model.to(device);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The tensors of a file written by TorchSharp's <c>Module.save</c>, by name, as stored (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        long count = ReadLeb128(reader);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            tensors[name] = TensorExtensionMethods.Load(reader);
        }
        return tensors;
    }

    // The old Linear weights are (out, in); Hugging Face's Conv1D stores the same matrices (in, out).
    private static bool IsConv1DWeight(string name) =>
        name.StartsWith("h.", StringComparison.Ordinal) && Conv1DWeights.Any(s => name.EndsWith(s, StringComparison.Ordinal));

    // TorchSharp writes the entry count as an unsigned LEB128 number.
    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("malformed entry count in a TorchSharp state dict");
    }
}
