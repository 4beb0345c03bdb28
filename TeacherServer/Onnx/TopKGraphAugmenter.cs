using Distill.Shared.Onnx;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// Appends <c>logits/τ → LogSoftmax</c>, a gather of the next token's log-prob and a gather of each row's
/// last-position logits to a causal LM graph, and makes those (and the KV-cache outputs <c>present.*</c> or <c>distill_new.*</c>) the only
/// graph outputs. For <see cref="TopKPlacement.Host"/> the log-probs of every position are an output and the top-k is
/// selected outside the graph (<see cref="Selection.TopKSelector"/>), only at the positions a request asks for: on the
/// CPU ORT's TopK cost a fifth of a 16 × 256 batch at k = 256 and ran at every position. For
/// <see cref="TopKPlacement.Graph"/> a TopK node with k as an input selects them instead, and only its k log-probs and
/// ids (as int32) per position are outputs, so that the [B,T,V] log-probs never leave the execution provider's device.
/// </summary>
public static class TopKGraphAugmenter
{
    /// <summary>Negative axes and GatherElements need opset 11.</summary>
    public const int MinimumOpset = 11;

    /// <summary>Optimum's name prefix of the KV-cache outputs, <c>present.{i}.key|value</c>.</summary>
    public const string PresentPrefix = "present.";

    /// <param name="vocabLimit">When set, only the first that many logits of the vocabulary axis are served (a Slice).</param>
    public static void Append(ModelProto model, string logitsName, int? vocabLimit = null, TopKPlacement placement = TopKPlacement.Host)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph ?? throw new IncompatibleModelException("The model has no graph.");
        var opset = DefaultDomainOpset(model);
        if (opset < MinimumOpset)
        {
            throw new IncompatibleModelException($"The model's opset {opset} is older than {MinimumOpset}.");
        }
        var logits = graph.Output.FirstOrDefault(o => o.Name == logitsName)
            ?? throw new IncompatibleModelException($"The graph has no output named '{logitsName}' (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");
        var logitsType = logits.Type?.TensorType
            ?? throw new IncompatibleModelException($"The output '{logitsName}' is not a tensor.");
        if (logitsType.Shape is { Dim.Count: not 3 and not 0 })
        {
            throw new IncompatibleModelException($"The output '{logitsName}' has rank {logitsType.Shape.Dim.Count}; [batch, sequence, vocab] expected.");
        }
        var taken = graph.Input.Select(i => i.Name).Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet();
        foreach (var name in new[] { TopKGraphNames.Temperature, TopKGraphNames.NextIds, TopKGraphNames.LastIndex, TopKGraphNames.K })
        {
            if (taken.Contains(name))
            {
                throw new IncompatibleModelException($"The graph already uses the name '{name}'.");
            }
        }

        var servedLogits = logitsName;
        if (vocabLimit is { } limit)
        {
            graph.Initializer.Add(OnnxProtos.Int64Constant("distill/vocab_start", 0, 1));
            graph.Initializer.Add(OnnxProtos.Int64Constant("distill/vocab_end", limit, 1));
            graph.Initializer.Add(OnnxProtos.Int64Constant("distill/vocab_axis", 2, 1));
            servedLogits = "distill/vocab_logits";
            graph.Node.Add(Node("Slice", [logitsName, "distill/vocab_start", "distill/vocab_end", "distill/vocab_axis"], [servedLogits]));
        }
        var floatLogits = servedLogits;
        if (logitsType.ElemType != (int)DataType.Float)
        {
            floatLogits = "distill/logits_float";
            graph.Node.Add(Node("Cast", [servedLogits], [floatLogits], OnnxProtos.Attribute("to", (long)DataType.Float)));
        }
        graph.Node.Add(Node("Div", [floatLogits, TopKGraphNames.Temperature], ["distill/scaled_logits"]));
        graph.Node.Add(Node("LogSoftmax", ["distill/scaled_logits"], [TopKGraphNames.Logprobs], OnnxProtos.Attribute("axis", 2)));
        if (opset >= 13)
        {
            graph.Initializer.Add(OnnxProtos.Int64Constant("distill/axis_2", 2, 1));
            graph.Node.Add(Node("Unsqueeze", [TopKGraphNames.NextIds, "distill/axis_2"], ["distill/next_ids_3d"]));
        }
        else
        {
            graph.Node.Add(Node("Unsqueeze", [TopKGraphNames.NextIds], ["distill/next_ids_3d"], OnnxProtos.Ints("axes", 2)));
        }
        graph.Node.Add(Node("GatherElements", [TopKGraphNames.Logprobs, "distill/next_ids_3d"], [TopKGraphNames.NextLogprob], OnnxProtos.Attribute("axis", 2)));
        graph.Node.Add(Node("Flatten", [floatLogits], ["distill/flat_logits"], OnnxProtos.Attribute("axis", 2)));
        graph.Node.Add(Node("Gather", ["distill/flat_logits", TopKGraphNames.LastIndex], [TopKGraphNames.LastLogits], OnnxProtos.Attribute("axis", 0)));

        graph.Input.Add(Tensor(TopKGraphNames.Temperature, DataType.Float, "batch", 1, 1));
        graph.Input.Add(Tensor(TopKGraphNames.NextIds, DataType.Int64, "batch", "sequence"));
        graph.Input.Add(Tensor(TopKGraphNames.LastIndex, DataType.Int64, "batch"));
        if (placement == TopKPlacement.Graph)
        {
            graph.Node.Add(Node("TopK", [TopKGraphNames.Logprobs, TopKGraphNames.K], [TopKGraphNames.TopKLogprobs, "distill/topk_ids_int64"],
                OnnxProtos.Attribute("axis", -1), OnnxProtos.Attribute("largest", 1), OnnxProtos.Attribute("sorted", 1)));
            graph.Node.Add(Node("Cast", ["distill/topk_ids_int64"], [TopKGraphNames.TopKIds], OnnxProtos.Attribute("to", (long)DataType.Int32)));
            graph.Input.Add(Tensor(TopKGraphNames.K, DataType.Int64, 1));
        }

        // The KV-cache outputs stay (the prefix cache fetches them); the logits and anything else go.
        var presents = graph.Output.Where(o => o.Name.StartsWith(PresentPrefix, StringComparison.Ordinal) || o.Name.StartsWith(SplitPastGraph.NewPrefix, StringComparison.Ordinal)).ToArray();
        graph.Output.Clear();
        // Output shapes are left to shape inference: a declared symbol could clash with the model's own.
        if (placement == TopKPlacement.Graph)
        {
            graph.Output.Add(Tensor(TopKGraphNames.TopKLogprobs, DataType.Float));
            graph.Output.Add(Tensor(TopKGraphNames.TopKIds, DataType.Int32));
        }
        else
        {
            graph.Output.Add(Tensor(TopKGraphNames.Logprobs, DataType.Float));
        }
        graph.Output.Add(Tensor(TopKGraphNames.NextLogprob, DataType.Float));
        graph.Output.Add(Tensor(TopKGraphNames.LastLogits, DataType.Float));
        graph.Output.AddRange(presents);
    }

    public static long DefaultDomainOpset(ModelProto model) =>
        model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    private static NodeProto Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        OnnxProtos.Node(opType, $"distill/{opType}_{outputs[0].Replace('/', '_')}", inputs, outputs, attributes);

    private static ValueInfoProto Tensor(string name, DataType type, params OnnxDimension[] dims) =>
        dims.Length == 0 ? OnnxProtos.TensorValueInfoOfAnyShape(name, type) : OnnxProtos.TensorValueInfo(name, type, dims);
}
