using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// The tensors of a model that a checkpoint must fill, by name: each checkpoint tensor is matched through
/// <see cref="CausalLm.CheckpointName"/>, checked (known name, shape, dtype, not twice) and copied in; at the end every
/// tensor must have been filled. Every refusal is an <see cref="InvalidDataException"/> naming the tensor.
/// </summary>
internal sealed class CheckpointTargets
{
    private readonly CausalLm _model;
    private readonly Dictionary<string, Tensor> _targets;
    private readonly Dictionary<string, string> _filledFrom = new(StringComparer.Ordinal);

    public CheckpointTargets(CausalLm model)
    {
        _model = model;
        _targets = model.state_dict();
    }

    /// <summary>
    /// The model tensor the checkpoint tensor <paramref name="name"/> fills, or null when the model ignores it.
    /// </summary>
    /// <param name="dtype">Its safetensors dtype name (checked only for tensors the model keeps).</param>
    /// <param name="source">The file it is in, for messages.</param>
    public string? Claim(string name, string dtype, long[] shape, string source)
    {
        string? target = _model.CheckpointName(name);
        if (target is null) return null;
        if (!_targets.TryGetValue(target, out Tensor? parameter))
            throw new InvalidDataException($"{source}: tensor '{name}' is not a parameter of this {_model.Config.ModelType} model (extra tensor)");
        if (!parameter.shape.SequenceEqual(shape))
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {Shape(shape)}, the model's '{target}' has {Shape(parameter.shape)}");
        if (!SafetensorsFile.WeightDtypes.ContainsKey(dtype))
            throw new InvalidDataException($"{source}: tensor '{name}' is stored as {dtype}; only F32, F16 and BF16 weights are read");
        if (_filledFrom.TryGetValue(target, out string? earlier))
            throw new InvalidDataException($"{source}: tensor '{name}' fills '{target}', which {earlier} already filled");
        _filledFrom[target] = source;
        return target;
    }

    /// <summary>Copies <paramref name="value"/> (any float dtype) into the claimed tensor <paramref name="target"/>, in the model's dtype.</summary>
    public void Fill(string target, Tensor value)
    {
        using var noGrad = no_grad();
        _targets[target].copy_(value);
    }

    /// <summary>Throws when a tensor of the model was filled by no checkpoint tensor.</summary>
    public void EnsureComplete(string source)
    {
        string[] missing = _targets.Keys.Where(k => !_filledFrom.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException(
                $"{source}: missing tensor '{missing[0]}'" + (missing.Length > 1 ? $" and {missing.Length - 1} more" : "") +
                $" of the {_model.Config.ModelType} model");
    }

    public static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
