using Distill.Shared.Onnx;
using Distill.TeacherServer.Caching;
using Distill.TeacherServer.Onnx;
using Distill.TeacherServer.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// The rewrite that lets a cached step read the past in place: a whole pass and a step through the rewritten graph give
/// the logits and keys/values of the graph as exported, and a graph it does not recognise is left byte for byte.
/// </summary>
public sealed class SplitPastGraphTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    private const int Batch = 2, Length = 10, Past = 6, Layers = 2, Heads = 4, HeadDim = 8;

    private ModelProto Load(string folder) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));

    [Fact]
    public void An_exported_decoder_becomes_a_whole_pass_branch_and_a_cached_step_branch()
    {
        var model = Load(exported.Optimum);
        var outputs = SplitPastGraph.Apply(model);

        Assert.NotNull(outputs);
        Assert.Equal(2 * Layers, outputs.Count);
        Assert.Equal("distill_new.1.value", outputs["present.1.value"]);
        var branch = Assert.Single(model.Graph.Node, n => n.OpType == "If");
        Assert.Equal(["then_branch", "else_branch"], branch.Attribute.Select(a => a.Name));
        Assert.Equal(["logits", .. Enumerable.Range(0, Layers).SelectMany(l => new[] { $"distill_new.{l}.key", $"distill_new.{l}.value" })],
            model.Graph.Output.Select(o => o.Name));
        var step = branch.Attribute.Single(a => a.Name == "else_branch").G;
        Assert.DoesNotContain(step.Node, n => n.OpType == "Concat" && n.Input.Any(i => i.StartsWith("past_key_values.", StringComparison.Ordinal)));
        Assert.Single(step.Node, n => n.OpType == "Shape" && n.Input[0].StartsWith("past_key_values.", StringComparison.Ordinal)); // the layers share one [past, new] split
        Assert.Equal(Layers, step.Node.Count(n => n.OpType == "Split" && n.Input.Count == 2 && n.Input[1] == step.Node.Single(s => s.OpType == "Concat" && s.Name.Contains("sizes")).Output[0]));
    }

    [Fact]
    public void A_step_after_a_cached_past_gives_the_logits_and_keys_of_the_whole_pass()
    {
        var tokens = Enumerable.Range(0, Batch * Length).Select(i => (long)(i * 37 % exported.VocabSize)).ToArray();
        using var original = new InferenceSession(File.ReadAllBytes(Path.Combine(exported.Optimum, "model.onnx")));
        var model = Load(exported.Optimum);
        SplitPastGraph.Apply(model);
        using var rewritten = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));

        var (wholeLogits, wholePresents) = Run(original, tokens, 0, Length, null, "present.");
        var (firstLogits, firstKeys) = Run(rewritten, tokens, 0, Past, null, "distill_new.");
        var (stepLogits, stepKeys) = Run(rewritten, tokens, Past, Length - Past, firstKeys, "distill_new.");

        AssertPositions(wholeLogits, firstLogits, 0, Past, exported.VocabSize);
        AssertPositions(wholeLogits, stepLogits, Past, Length - Past, exported.VocabSize);
        for (var i = 0; i < 2 * Layers; i++)
        {
            AssertPositions(wholePresents[i], firstKeys[i], 0, Past, HeadDim, Heads);
            AssertPositions(wholePresents[i], stepKeys[i], Past, Length - Past, HeadDim, Heads);
        }
    }

    /// <param name="splitPast">true: the rewritten graph; false: the graph as exported.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_load_time_check_of_a_cached_step_passes_on_an_exported_decoder(bool splitPast)
    {
        using var options = new SessionOptions();
        using var session = TeacherSession.Open(Load(exported.Optimum), "logits", options, null, null, splitPast: splitPast);

        Assert.Equal(splitPast, session.OutputsNewKeyValuesOnly);
        Assert.Null(CachedStepCheck.Problem(session, contextLength: 64, exported.VocabSize));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_load_time_check_finds_a_decoder_whose_cached_steps_count_positions_from_zero(bool splitPast)
    {
        var folder = Path.Combine(exported.Root, $"positions-from-zero-{splitPast}");
        PositionsFromZero.Write(exported.Optimum, folder);
        using var options = new SessionOptions();
        using var session = TeacherSession.Open(Load(folder), "logits", options, null, null, splitPast: splitPast);

        Assert.Equal(splitPast, session.OutputsNewKeyValuesOnly);
        Assert.StartsWith("differs from the whole pass by ", CachedStepCheck.Problem(session, contextLength: 64, exported.VocabSize));
    }

    [Fact]
    public void A_present_read_by_anything_but_attention_leaves_the_model_as_it_is()
    {
        var model = Load(exported.Optimum);
        model.Graph.Node.Add(OnnxProtos.Node("Identity", "copy", ["present.0.key"], ["copied_key"]));
        model.Graph.Output.Add(OnnxProtos.TensorValueInfoOfAnyShape("copied_key", DataType.Float));
        var before = Google.Protobuf.MessageExtensions.ToByteArray(model);

        Assert.Null(SplitPastGraph.Apply(model));
        Assert.Equal(before, Google.Protobuf.MessageExtensions.ToByteArray(model));
    }

    [Fact]
    public void A_model_without_a_kv_cache_is_left_as_it_is()
    {
        var model = Load(exported.Plain);
        var before = Google.Protobuf.MessageExtensions.ToByteArray(model);

        Assert.Null(SplitPastGraph.Apply(model));
        Assert.Equal(before, Google.Protobuf.MessageExtensions.ToByteArray(model));
    }

    /// <returns>logits [B,count,V] and the keys/values outputs with the given prefix, in past_key_values order.</returns>
    private static (float[] Logits, float[][] KeyValues) Run(InferenceSession session, long[] tokens, int from, int count, float[][]? past, string keyValuePrefix)
    {
        var ids = new long[Batch * count];
        var positions = new long[Batch * count];
        for (var b = 0; b < Batch; b++)
        {
            for (var j = 0; j < count; j++)
            {
                ids[b * count + j] = tokens[b * Length + from + j];
                positions[b * count + j] = from + j;
            }
        }
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(ids, [Batch, count]),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, Batch * (from + count)).ToArray(), [Batch, from + count]),
            ["position_ids"] = OrtValue.CreateTensorValueFromMemory(positions, [Batch, count]),
        };
        var names = KeyValueNames("past_key_values.");
        for (var i = 0; i < names.Length; i++)
        {
            inputs[names[i]] = past is null
                ? OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [Batch, Heads, 0, HeadDim])
                : OrtValue.CreateTensorValueFromMemory(past[i], [Batch, Heads, from, HeadDim]);
        }
        try
        {
            using var results = session.Run(new RunOptions(), inputs.Keys.ToArray(), inputs.Values.ToArray(), ["logits", .. KeyValueNames(keyValuePrefix)]);
            return (results[0].GetTensorDataAsSpan<float>().ToArray(), results.Skip(1).Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray());
        }
        finally
        {
            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }
    }

    private static string[] KeyValueNames(string prefix) =>
        Enumerable.Range(0, Layers).SelectMany(l => new[] { $"{prefix}{l}.key", $"{prefix}{l}.value" }).ToArray();

    /// <summary>part [B,(groups,)count,width] equals whole [B,(groups,)Length,width] at positions [from, from + count).</summary>
    private static void AssertPositions(float[] whole, float[] part, int from, int count, int width, int groups = 1)
    {
        Assert.Equal(Batch * groups * count * width, part.Length);
        var wholeLength = whole.Length / (Batch * groups * width);
        for (var g = 0; g < Batch * groups; g++)
        {
            for (var j = 0; j < count; j++)
            {
                for (var x = 0; x < width; x++)
                {
                    Assert.Equal(whole[(g * wholeLength + from + j) * width + x], part[(g * count + j) * width + x], 1e-5);
                }
            }
        }
    }
}
