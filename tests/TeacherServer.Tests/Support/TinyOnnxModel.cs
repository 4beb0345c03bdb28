using Distill.Shared.Onnx;
using Google.Protobuf;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>
/// A hand-built ONNX "language model" small enough to build in microseconds: logits = (E[ids] + P[pos]) · W.
/// Positions do not see each other, so it is trivially causal. Used where the model's maths does not matter
/// (registry, hot swap, validation); the exporter's GPT is used where it does.
/// </summary>
public static class TinyOnnxModel
{
    /// <param name="pastLayers">Adds unused Optimum-style past_key_values inputs (and present outputs) for that many layers.</param>
    /// <param name="useCacheBranch">Adds an unused bool use_cache_branch input, as Optimum's merged decoders have.</param>
    /// <param name="float16Logits">Casts the logits to float16, as half-precision exports produce them.</param>
    public static ModelProto Build(int vocab, int context, int width, int seed, bool positionIds = true, int pastLayers = 0, int heads = 2,
        bool useCacheBranch = false, bool float16Logits = false)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "tiny" };
        graph.Initializer.Add(Floats("embedding", random, vocab, width));
        graph.Initializer.Add(Floats("unembedding", random, width, vocab));
        graph.Input.Add(Input("input_ids", DataType.Int64, "batch", "sequence"));
        graph.Input.Add(Input("attention_mask", DataType.Int64, "batch", "sequence"));
        graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["tokens"]));
        var hidden = "tokens";
        if (positionIds)
        {
            graph.Initializer.Add(Floats("positions", random, context, width));
            graph.Input.Add(Input("position_ids", DataType.Int64, "batch", "sequence"));
            graph.Node.Add(Node("Gather", ["positions", "position_ids"], ["placed"]));
            graph.Node.Add(Node("Add", ["tokens", "placed"], ["hidden"]));
            hidden = "hidden";
        }
        if (float16Logits)
        {
            graph.Node.Add(Node("MatMul", [hidden, "unembedding"], ["logits_float"]));
            var cast = Node("Cast", ["logits_float"], ["logits"]);
            cast.Attribute.Add(OnnxProtos.Attribute("to", (long)DataType.Float16));
            graph.Node.Add(cast);
        }
        else
        {
            graph.Node.Add(Node("MatMul", [hidden, "unembedding"], ["logits"]));
        }
        if (useCacheBranch)
        {
            graph.Input.Add(Input("use_cache_branch", DataType.Bool, 1));
        }
        graph.Output.Add(Input("logits", float16Logits ? DataType.Float16 : DataType.Float, "batch", "sequence", vocab));
        for (var layer = 0; layer < pastLayers; layer++)
        {
            foreach (var part in new[] { "key", "value" })
            {
                graph.Input.Add(Input($"past_key_values.{layer}.{part}", DataType.Float, "batch", heads, "past", width / heads));
                graph.Node.Add(Node("Identity", [$"past_key_values.{layer}.{part}"], [$"present.{layer}.{part}"]));
                graph.Output.Add(Input($"present.{layer}.{part}", DataType.Float, "batch", heads, "past", width / heads));
            }
        }
        return new ModelProto
        {
            IrVersion = 8,
            ProducerName = "distill-tests",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } },
            Graph = graph,
        };
    }

    /// <summary>Writes model.onnx and a GPT-2 style config.json into <paramref name="folder"/>.</summary>
    public static void WriteFolder(string folder, int vocab = 32, int context = 16, int width = 8, int seed = 1, bool positionIds = true,
        int pastLayers = 0, int? eos = null, bool useCacheBranch = false, string modelFile = "model.onnx", bool float16Logits = false)
    {
        Directory.CreateDirectory(folder);
        var model = Build(vocab, context, width, seed, positionIds, pastLayers, useCacheBranch: useCacheBranch, float16Logits: float16Logits);
        File.WriteAllBytes(Path.Combine(folder, modelFile), model.ToByteArray());
        File.WriteAllText(Path.Combine(folder, "config.json"),
            $$"""{"model_type":"gpt2","vocab_size":{{vocab}},"n_positions":{{context}},"n_embd":{{width}},"n_layer":{{pastLayers}},"n_head":2,"eos_token_id":{{eos ?? vocab - 1}}}""");
    }

    private static TensorProto Floats(string name, Random random, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float };
        tensor.Dims.AddRange(dims);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs) =>
        OnnxProtos.Node(op, op + "_" + outputs[0], inputs, outputs);

    private static ValueInfoProto Input(string name, DataType type, params OnnxDimension[] dims) =>
        OnnxProtos.TensorValueInfo(name, type, dims);
}
