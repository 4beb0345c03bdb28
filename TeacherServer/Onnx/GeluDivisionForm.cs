using Distill.Shared.Onnx;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// Writes the erf-GELU's <c>x · (1/√2)</c> as <c>x / √2</c>, the form ORT's Gelu fusion recognises. ORT then replaces the
/// five nodes of each GELU and the bias Add before it with one BiasGelu; written as a product (as this project's exporter
/// writes it) the pattern is left unfused. The two forms differ by at most one rounding of the Erf's input.
/// Applies in every graph and subgraph; the constant √2 is added to the main graph, visible to all of them.
/// </summary>
public static class GeluDivisionForm
{
    public const string SqrtTwoName = "distill_gelu.sqrt_two";

    private static readonly float SqrtHalf = MathF.Sqrt(0.5f);

    /// <returns>How many products were rewritten.</returns>
    public static int Apply(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        if (graph is null)
        {
            return 0;
        }
        var scalars = graph.Initializer.Where(IsSqrtHalfScalar).Select(i => i.Name).ToHashSet();
        if (scalars.Count == 0 || graph.Initializer.Any(i => i.Name == SqrtTwoName))
        {
            return 0;
        }
        var rewritten = Rewrite(graph, scalars);
        if (rewritten == 0)
        {
            return 0;
        }
        graph.Initializer.Add(new TensorProto { Name = SqrtTwoName, DataType = (int)DataType.Float, FloatData = { MathF.Sqrt(2f) } });
        var stillRead = Inputs(graph).ToHashSet();
        foreach (var unused in graph.Initializer.Where(i => scalars.Contains(i.Name) && !stillRead.Contains(i.Name)).ToArray())
        {
            graph.Initializer.Remove(unused);
        }
        return rewritten;
    }

    /// <param name="constants">Names of the √½ scalars visible in this graph.</param>
    private static int Rewrite(GraphProto graph, HashSet<string> constants)
    {
        var readers = graph.Node.SelectMany(n => n.Input.Select(input => (input, n))).ToLookup(p => p.input, p => p.n);
        var count = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Mul" && node.Domain is ("" or "ai.onnx") && node.Input.Count == 2 && node.Output.Count == 1
                && readers[node.Output[0]].Any() && readers[node.Output[0]].All(r => r.OpType == "Erf" && r.Domain is ("" or "ai.onnx"))
                && graph.Output.All(o => o.Name != node.Output[0]))
            {
                var constant = constants.Contains(node.Input[1]) ? 1 : constants.Contains(node.Input[0]) ? 0 : -1;
                if (constant >= 0)
                {
                    var x = node.Input[1 - constant];
                    node.OpType = "Div";
                    node.Input.Clear();
                    node.Input.Add(x);
                    node.Input.Add(SqrtTwoName);
                    count++;
                }
            }
            foreach (var attribute in node.Attribute)
            {
                foreach (var subgraph in attribute.Graphs.Append(attribute.G).OfType<GraphProto>())
                {
                    count += Rewrite(subgraph, VisibleIn(subgraph, constants));
                }
            }
        }
        return count;
    }

    /// <summary>The outer scope's constants a subgraph does not hide behind a name of its own, and its own √½ scalars.</summary>
    private static HashSet<string> VisibleIn(GraphProto subgraph, HashSet<string> outer)
    {
        var defined = subgraph.Initializer.Select(i => i.Name).Concat(subgraph.Input.Select(i => i.Name)).Concat(subgraph.Node.SelectMany(n => n.Output));
        var visible = outer.Except(defined).ToHashSet();
        visible.UnionWith(subgraph.Initializer.Where(IsSqrtHalfScalar).Select(i => i.Name));
        return visible;
    }

    private static IEnumerable<string> Inputs(GraphProto graph) =>
        graph.Node.SelectMany(n => n.Input.Concat(n.Attribute.SelectMany(a => a.Graphs.Append(a.G).OfType<GraphProto>()).SelectMany(Inputs)));

    private static bool IsSqrtHalfScalar(TensorProto tensor)
    {
        if (tensor.DataType != (int)DataType.Float || tensor.Dims.Any(d => d != 1))
        {
            return false;
        }
        float? value = tensor.FloatData.Count == 1 ? tensor.FloatData[0]
            : tensor.RawData.Length == sizeof(float) ? BitConverter.ToSingle(tensor.RawData.Span) : null;
        return value is { } v && MathF.Abs(v - SqrtHalf) <= 1e-6f;
    }
}
