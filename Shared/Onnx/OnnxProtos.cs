using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.Shared.Onnx;

/// <summary>Small constructors for the ONNX messages every graph writer needs (exporter, top-k augmenter, tests).</summary>
public static class OnnxProtos
{
    /// <summary>A node of the default domain.</summary>
    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An INTS attribute (a separate name, so a one-element list is never taken for an INT).</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>An int64 initializer holding one value, of the given shape (no dimensions: a scalar).</summary>
    public static TensorProto Int64Constant(string name, long value, params long[] dims) =>
        new() { Name = name, DataType = (int)DataType.Int64, Dims = { dims }, Int64Data = { value } };

    /// <summary>A tensor input or output of the given shape (no dimensions: a scalar).</summary>
    public static ValueInfoProto TensorValueInfo(string name, DataType elementType, params OnnxDimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d.ToProto()));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    /// <summary>A tensor input or output whose rank is left to ONNX Runtime's shape inference.</summary>
    public static ValueInfoProto TensorValueInfoOfAnyShape(string name, DataType elementType) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType } } };
}
