using static TorchSharp.torch;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Writes a model's parameters, looked up by state-dict name, as float32 initializers of one graph (each once) and
/// remembers which were written, so an exporter can refuse to drop any.
/// </summary>
public sealed class StateDictInitializers(OnnxGraphBuilder graph, IReadOnlyDictionary<string, Tensor> parameters)
{
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    /// <summary>The parameters no initializer was written for.</summary>
    public IReadOnlyList<string> Unused => parameters.Keys.Where(name => !_written.Contains(name)).ToArray();

    /// <summary>The parameter as an initializer of its own name and shape.</summary>
    /// <exception cref="InvalidOperationException">There is no such parameter.</exception>
    public string Parameter(string name)
    {
        if (_written.Contains(name)) return name;
        Tensor parameter = Lookup(name);
        _written.Add(name);
        return graph.FloatInitializer(name, Floats(parameter), parameter.shape);
    }

    /// <summary>The parameter as an initializer, or null when the model has none of that name (e.g. an absent bias).</summary>
    public string? OptionalParameter(string name) => parameters.ContainsKey(name) ? Parameter(name) : null;

    /// <summary>A Linear weight stored (out, in), written transposed as (in, out) under its own name, ready to be MatMul's B.</summary>
    /// <exception cref="InvalidOperationException">There is no such parameter, or it is not (<paramref name="outFeatures"/>, <paramref name="inFeatures"/>).</exception>
    public string TransposedWeight(string name, long outFeatures, long inFeatures)
    {
        Tensor weight = Lookup(name);
        if (!weight.shape.SequenceEqual([outFeatures, inFeatures]))
            throw new InvalidOperationException($"parameter '{name}' has shape [{string.Join(", ", weight.shape)}]; [{outFeatures}, {inFeatures}] expected");
        using var scope = NewDisposeScope();
        Tensor transposed = weight.detach().t();
        _written.Add(name);
        return graph.FloatInitializer(name, Floats(transposed), transposed.shape, "linear weight transposed to (in, out)");
    }

    /// <exception cref="InvalidOperationException">There is no such parameter.</exception>
    public Tensor Lookup(string name) => parameters.TryGetValue(name, out Tensor? tensor)
        ? tensor
        : throw new InvalidOperationException($"the model has no parameter '{name}'");

    private static float[] Floats(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
