using Distill.Shared.Onnx;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// Lets a cached step read the past keys and values where the server keeps them instead of copying them into
/// <c>present.*</c>. In an Optimum-style decoder each <c>present.{i}.key|value</c> is <c>Concat(past, new)</c> along the
/// sequence axis and attention reads that copy; a step of one token per row then copied the whole past every time, which
/// with the reads made a 128-position step ~1.5× as long as a 1-position one. Attention is linear in the concatenation, so
/// <c>MatMul(a, Transpose(Concat(p, n))) = Concat(MatMul(a, Transpose(p)), MatMul(a, Transpose(n)))</c> along the last axis and
/// <c>MatMul(w, Concat(p, n)) = MatMul(w[…, :P], p) + MatMul(w[…, P:], n)</c>. The rewritten form outputs only the new
/// keys and values (<c>distill_new.*</c>), which the server appends to its buffers.
/// <para>
/// The graph becomes <c>If(past is empty, original nodes, rewritten nodes)</c>: the rewritten form copies the attention
/// scores twice, which cost 4–10 % of a whole-sequence pass on the default teacher, so whole passes keep the original nodes.
/// Both branches read the weights from the outer graph, so they are held once.
/// </para>
/// The rewrite applies only where every present output has exactly that shape and every reader of it is a key Transpose
/// feeding MatMuls or a value MatMul; anything else leaves the model as it is (the server then fetches present.*).
/// </summary>
public static class SplitPastGraph
{
    /// <summary>Outputs holding only the new positions' keys and values: <c>distill_new.{i}.key|value</c>, [B,H,S,D].</summary>
    public const string NewPrefix = "distill_new.";

    private const string PastPrefix = "past_key_values.";
    private const string WholePrefix = "distill_whole/";
    private const string StepPrefix = "distill_step/";
    private const string SplitPrefix = "distill_split/";
    private const int MinimumOpset = 13; // Split with sizes as an input

    /// <returns>The new-keys-and-values output of each present.* output (by name), or null when the model was left as it is.</returns>
    public static IReadOnlyDictionary<string, string>? Apply(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        if (graph is null || TopKGraphAugmenter.DefaultDomainOpset(model) < MinimumOpset || graph.Node.Any(HasSubgraph) || UsesReservedNames(graph))
        {
            return null;
        }
        var presents = graph.Output.Where(o => o.Name.StartsWith(TopKGraphAugmenter.PresentPrefix, StringComparison.Ordinal)).ToArray();
        if (presents.Length == 0)
        {
            return null;
        }
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }
        var graphInputs = new Dictionary<string, ValueInfoProto>();
        foreach (var input in graph.Input)
        {
            graphInputs.TryAdd(input.Name, input);
        }
        var concats = new Dictionary<string, (string Past, string New)>(); // present name → its two parts
        foreach (var present in presents)
        {
            if (!producers.TryGetValue(present.Name, out var concat) || concat.OpType != "Concat" || concat.Domain is not ("" or "ai.onnx")
                || concat.Input.Count != 2 || !concat.Input[0].StartsWith(PastPrefix, StringComparison.Ordinal)
                || !graphInputs.TryGetValue(concat.Input[0], out var past) || past.Type?.TensorType?.Shape?.Dim.Count != 4
                || Attribute(concat, "axis")?.I is not (2 or -2))
            {
                return null;
            }
            concats[present.Name] = (concat.Input[0], concat.Input[1]);
        }
        if (!ReadersAreAttention(graph, concats.Keys.ToHashSet()))
        {
            return null;
        }

        var outer = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(i => i.Name)).ToHashSet();
        graph.Initializer.Add(OnnxProtos.Int64Constant(SplitPrefix + "two", 2, 1));
        graph.Initializer.Add(OnnxProtos.Int64Constant(SplitPrefix + "three", 3, 1));
        graph.Initializer.Add(OnnxProtos.Int64Constant(SplitPrefix + "axis_two", 2));
        graph.Initializer.Add(OnnxProtos.Int64Constant(SplitPrefix + "zero", 0));
        outer.UnionWith([SplitPrefix + "two", SplitPrefix + "three"]);

        var kept = graph.Output.Where(o => !concats.ContainsKey(o.Name)).ToArray();
        var newNames = presents.ToDictionary(p => p.Name, p => NewPrefix + p.Name[TopKGraphAugmenter.PresentPrefix.Length..]);
        var keyValueType = (DataType)graphInputs[concats[presents[0].Name].Past].Type.TensorType.ElemType;
        GraphProto Branch(string name, string prefix, IEnumerable<NodeProto> nodes)
        {
            var branch = new GraphProto { Name = name };
            string Rename(string value) => value.Length == 0 || outer.Contains(value) ? value : prefix + value;
            foreach (var node in nodes)
            {
                var copy = node.Clone();
                copy.Name = prefix + copy.Name;
                for (var i = 0; i < copy.Input.Count; i++)
                {
                    copy.Input[i] = Rename(copy.Input[i]);
                }
                for (var i = 0; i < copy.Output.Count; i++)
                {
                    copy.Output[i] = Rename(copy.Output[i]);
                }
                branch.Node.Add(copy);
            }
            foreach (var output in kept)
            {
                var renamed = output.Clone();
                renamed.Name = Rename(output.Name);
                branch.Output.Add(renamed);
            }
            foreach (var present in presents)
            {
                branch.Output.Add(OnnxProtos.TensorValueInfoOfAnyShape(Rename(concats[present.Name].New), keyValueType));
            }
            return branch;
        }
        var whole = Branch("distill_whole_pass", WholePrefix, graph.Node);
        var step = Branch("distill_cached_step", StepPrefix, Rewrite(graph, concats));

        var firstPast = concats[presents[0].Name].Past;
        graph.Node.Clear();
        graph.ValueInfo.Clear(); // it described values that now live in the branches
        graph.Node.Add(OnnxProtos.Node("Shape", SplitPrefix + "past_shape", [firstPast], [SplitPrefix + "past_shape"]));
        graph.Node.Add(OnnxProtos.Node("Gather", SplitPrefix + "past_length", [SplitPrefix + "past_shape", SplitPrefix + "axis_two"], [SplitPrefix + "past_length"],
            OnnxProtos.Attribute("axis", 0L)));
        graph.Node.Add(OnnxProtos.Node("Equal", SplitPrefix + "past_is_empty", [SplitPrefix + "past_length", SplitPrefix + "zero"], [SplitPrefix + "past_is_empty"]));
        var branches = OnnxProtos.Node("If", SplitPrefix + "branch", [SplitPrefix + "past_is_empty"],
            [.. kept.Select(o => o.Name), .. presents.Select(p => newNames[p.Name])]);
        branches.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = whole });
        branches.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = step });
        graph.Node.Add(branches);
        graph.Output.Clear();
        graph.Output.AddRange(kept);
        foreach (var present in presents)
        {
            graph.Output.Add(OnnxProtos.TensorValueInfoOfAnyShape(newNames[present.Name], keyValueType));
        }
        return newNames;
    }

    /// <summary>True when every reader of a present value is a MatMul taking it as B, or a last-two-axes Transpose read only as B by MatMuls.</summary>
    private static bool ReadersAreAttention(GraphProto graph, HashSet<string> presents)
    {
        var outputs = graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (!presents.Contains(node.Input[i]))
                {
                    continue;
                }
                if (IsMatMulReadingAsB(node, node.Input[i]))
                {
                    continue;
                }
                if (!IsKeyTranspose(node) || outputs.Contains(node.Output[0]))
                {
                    return false;
                }
                var transposed = node.Output[0];
                if (graph.Node.Any(reader => reader.Input.Contains(transposed) && !IsMatMulReadingAsB(reader, transposed)))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>The graph's nodes with each present Concat dropped and each of its readers split into a past and a new part.</summary>
    private static List<NodeProto> Rewrite(GraphProto graph, Dictionary<string, (string Past, string New)> concats)
    {
        var transposes = new Dictionary<string, (string Past, string New)>(); // transposed present → transposed parts
        var nodes = new List<NodeProto>();
        var serial = 0;
        string? sizes = null; // [past, new] lengths, shared by the layers' value MatMuls
        string Fresh(string what) => $"{SplitPrefix}{what}_{serial++}";
        foreach (var node in graph.Node)
        {
            if (node.Output.Count == 1 && concats.ContainsKey(node.Output[0]))
            {
                continue;
            }
            if (node.OpType == "Transpose" && node.Input.Count == 1 && concats.TryGetValue(node.Input[0], out var parts))
            {
                var perm = Attribute(node, "perm")!;
                string past = Fresh("past_transposed"), fresh = Fresh("new_transposed");
                nodes.Add(OnnxProtos.Node("Transpose", past, [parts.Past], [past], OnnxProtos.Ints("perm", [.. perm.Ints])));
                nodes.Add(OnnxProtos.Node("Transpose", fresh, [parts.New], [fresh], OnnxProtos.Ints("perm", [.. perm.Ints])));
                transposes[node.Output[0]] = (past, fresh);
                continue;
            }
            if (node.OpType == "MatMul" && transposes.TryGetValue(node.Input[1], out var keys))
            {
                string past = Fresh("past_scores"), fresh = Fresh("new_scores");
                nodes.Add(OnnxProtos.Node("MatMul", past, [node.Input[0], keys.Past], [past]));
                nodes.Add(OnnxProtos.Node("MatMul", fresh, [node.Input[0], keys.New], [fresh]));
                nodes.Add(OnnxProtos.Node("Concat", Fresh("scores"), [past, fresh], [node.Output[0]], OnnxProtos.Attribute("axis", -1L)));
                continue;
            }
            if (node.OpType == "MatMul" && concats.TryGetValue(node.Input[1], out var values))
            {
                if (sizes is null)
                {
                    // Every layer's past and new positions are as many as the first's (the server feeds all pasts at one width).
                    string pastShape = Fresh("past_shape"), newShape = Fresh("new_shape"), pastLength = Fresh("past_length"), newLength = Fresh("new_length");
                    sizes = Fresh("sizes");
                    nodes.Add(OnnxProtos.Node("Shape", pastShape, [values.Past], [pastShape]));
                    nodes.Add(OnnxProtos.Node("Shape", newShape, [values.New], [newShape]));
                    nodes.Add(OnnxProtos.Node("Slice", pastLength, [pastShape, SplitPrefix + "two", SplitPrefix + "three"], [pastLength]));
                    nodes.Add(OnnxProtos.Node("Slice", newLength, [newShape, SplitPrefix + "two", SplitPrefix + "three"], [newLength]));
                    nodes.Add(OnnxProtos.Node("Concat", sizes, [pastLength, newLength], [sizes], OnnxProtos.Attribute("axis", 0L)));
                }
                string pastWeights = Fresh("past_weights"), newWeights = Fresh("new_weights"), past = Fresh("past_mix"), fresh = Fresh("new_mix");
                nodes.Add(OnnxProtos.Node("Split", pastWeights, [node.Input[0], sizes], [pastWeights, newWeights], OnnxProtos.Attribute("axis", -1L)));
                nodes.Add(OnnxProtos.Node("MatMul", past, [pastWeights, values.Past], [past]));
                nodes.Add(OnnxProtos.Node("MatMul", fresh, [newWeights, values.New], [fresh]));
                nodes.Add(OnnxProtos.Node("Add", Fresh("mix"), [past, fresh], [node.Output[0]]));
                continue;
            }
            nodes.Add(node);
        }
        return nodes;
    }

    private static bool IsMatMulReadingAsB(NodeProto node, string value) =>
        node.OpType == "MatMul" && node.Domain is ("" or "ai.onnx") && node.Input.Count == 2 && node.Input[1] == value && node.Input[0] != value;

    private static bool IsKeyTranspose(NodeProto node) =>
        node.OpType == "Transpose" && node.Domain is ("" or "ai.onnx") && node.Input.Count == 1
        && Attribute(node, "perm") is { } perm && perm.Ints.SequenceEqual([0L, 1L, 3L, 2L]);

    private static bool HasSubgraph(NodeProto node) => node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0);

    private static bool UsesReservedNames(GraphProto graph) =>
        graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(i => i.Name))
            .Any(name => name.StartsWith("distill_", StringComparison.Ordinal));

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);
}
