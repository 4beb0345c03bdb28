using static Distill.Shared.Onnx.OnnxProtos;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.StudentTrainer.Export;

/// <summary>The causal, padding-aware attention mask of the exported decoders, built from <c>input_ids</c> and <c>attention_mask</c>.</summary>
public static class OnnxAttentionMask
{
    /// <summary>
    /// Adds the nodes (and their constants, all named <c>mask.*</c>) computing which keys each query may see: query i
    /// (absolute position past+i) may see key j iff j ≤ past+i and attention_mask[b, j] = 1, or j = past+i.
    /// </summary>
    /// <returns>The name of the (B, 1, T, past+T) bool value.</returns>
    public static string AddAllowed(OnnxGraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string zero = graph.Int64Initializer("mask.const.zero", [0L]);
        string one = graph.Int64Initializer("mask.const.one", [1L]);
        string axes1 = graph.Int64Vector("mask.const.axes_1", 1);
        string axes12 = graph.Int64Vector("mask.const.axes_1_2", 1, 2);
        string idsShape = graph.Node("Shape", "mask.input_ids_shape", ["input_ids"]);
        string newLength = graph.Node("Gather", "mask.new_length", [idsShape, one], Attribute("axis", 0L));         // T
        string maskShape = graph.Node("Shape", "mask.attention_mask_shape", ["attention_mask"]);
        string keyLength = graph.Node("Gather", "mask.key_length", [maskShape, one], Attribute("axis", 0L));       // past+T
        string pastLength = graph.Node("Sub", "mask.past_length", [keyLength, newLength]);
        string keyPositions = graph.Node("Range", "mask.key_positions", [zero, keyLength, one]);                   // (past+T)
        string queryPositions = graph.Node("Range", "mask.query_positions", [pastLength, keyLength, one]);         // (T)
        string queryColumn = graph.Node("Unsqueeze", "mask.query_column", [queryPositions, axes1]);               // (T, 1)
        string causal = graph.Node("LessOrEqual", "mask.causal", [keyPositions, queryColumn]);                    // (T, past+T)
        string self = graph.Node("Equal", "mask.self", [keyPositions, queryColumn]);                              // (T, past+T)
        string real = graph.Node("Cast", "mask.real_keys", ["attention_mask"], Attribute("to", (long)DataType.Bool)); // (B, past+T)
        string realKeys = graph.Node("Unsqueeze", "mask.real_keys_4d", [real, axes12]);                           // (B, 1, 1, past+T)
        string causalReal = graph.Node("And", "mask.causal_real", [causal, realKeys]);                            // (B, 1, T, past+T)
        return graph.Node("Or", "mask.allowed", [causalReal, self]);
    }
}
