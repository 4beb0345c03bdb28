using System.Buffers.Binary;
using Distill.Shared.Onnx;
using Google.Protobuf;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Accumulates the nodes, initializers, inputs and outputs of one ONNX graph. Every node has one name that is
/// also the name of its (first) output, so a graph reads like the code that built it.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Adds a node with one output named <paramref name="name"/> and returns that name.</summary>
    public string Node(string opType, string name, IReadOnlyList<string> inputs, params AttributeProto[] attributes) =>
        Node(opType, name, inputs, outputCount: 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs (<c>name</c>, <c>name:1</c>, …) and returns their names.</summary>
    public string[] Node(string opType, string name, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        string[] outputs = Enumerable.Range(0, outputCount).Select(i => i == 0 ? name : $"{name}:{i}").ToArray();
        foreach (string output in outputs) Claim(output);
        _graph.Node.Add(OnnxProtos.Node(opType, name, inputs, outputs, attributes));
        return outputs;
    }

    /// <summary>A float32 initializer stored as little-endian raw data.</summary>
    /// <param name="values">Row-major values; their count is the product of <paramref name="dims"/>.</param>
    public string FloatInitializer(string name, ReadOnlySpan<float> values, IReadOnlyList<long> dims, string? docString = null)
    {
        CheckCount(name, values.Length, dims);
        byte[] raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        return Initializer(name, TensorProto.Types.DataType.Float, raw, dims, docString);
    }

    /// <summary>An int64 initializer stored as little-endian raw data; no <paramref name="dims"/> means a scalar.</summary>
    public string Int64Initializer(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        byte[] raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        return Initializer(name, TensorProto.Types.DataType.Int64, raw, dims, docString: null);
    }

    /// <summary>A 1-D int64 initializer, e.g. the target shape of a Reshape or the axes of an Unsqueeze.</summary>
    public string Int64Vector(string name, params long[] values) => Int64Initializer(name, values, values.Length);

    /// <summary>A float32 scalar initializer.</summary>
    public string FloatScalar(string name, float value) => FloatInitializer(name, [value], []);

    /// <summary>Declares a graph input of a tensor type.</summary>
    public void Input(string name, TensorProto.Types.DataType elementType, params OnnxDimension[] dims)
    {
        Claim(name);
        _graph.Input.Add(OnnxProtos.TensorValueInfo(name, elementType, dims));
    }

    /// <summary>Declares an existing value (a node output or an input) as a graph output.</summary>
    public void Output(string name, TensorProto.Types.DataType elementType, params OnnxDimension[] dims)
    {
        if (!_names.Contains(name)) throw new InvalidOperationException($"graph output '{name}' is not produced by any node or input");
        _graph.Output.Add(OnnxProtos.TensorValueInfo(name, elementType, dims));
    }

    /// <summary>The finished model: one graph over the default ONNX domain at <paramref name="opset"/>.</summary>
    public ModelProto ToModel(long irVersion, long opset, string producerName, string producerVersion)
    {
        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = producerName,
            ProducerVersion = producerVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private string Initializer(string name, TensorProto.Types.DataType type, byte[] raw, IReadOnlyList<long> dims, string? docString)
    {
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(raw) };
        tensor.Dims.AddRange(dims);
        if (docString is not null) tensor.DocString = docString;
        _graph.Initializer.Add(tensor);
        return name;
    }

    private void Claim(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_names.Add(name)) throw new InvalidOperationException($"the graph already has a value named '{name}'");
    }

    private static void CheckCount(string name, int count, IReadOnlyList<long> dims)
    {
        long expected = dims.Aggregate(1L, (product, d) => product * d);
        if (expected != count)
            throw new ArgumentException($"initializer '{name}' has {count} values but its shape [{string.Join(", ", dims)}] holds {expected}");
    }
}
