using Distill.StudentTrainer.Export;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// Random Llama-family models run by ONNX Runtime: a padded batch gives each sequence's logits alone, the Optimum
/// export with an empty past gives the plain export's, and continuing from its presents gives the full pass's.
/// </summary>
public sealed class LlamaOnnxConsistencyTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private const int Vocab = 120;
    private readonly ExportTestFolder _folder = new();

    /// <summary>heads, key-value heads, head_dim, biases, q/k norm, tied head.</summary>
    public static TheoryData<int, int, int, LlamaBiases, bool, bool> Shapes => new()
    {
        { 4, 2, 8, LlamaBiases.None, false, false },
        { 4, 1, 12, LlamaBiases.QueryKeyValue, true, true },
        { 4, 4, 8, LlamaBiases.All, false, false },
        { 6, 2, 6, LlamaBiases.None, true, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Padded_batch_rows_give_each_sequence_alone(int heads, int keyValueHeads, int headDim, LlamaBiases biases, bool qkNorm, bool tied)
    {
        var (shape, parameters) = Model(heads, keyValueHeads, headDim, biases, qkNorm, tied, seed: 21);
        using var onnx = new OrtModel(RandomLlama.Export(_folder.NewFolder("plain"), shape, parameters, includePast: false));
        RandomLlama.Dispose(parameters);
        TokenBatch batch = TokenBatch.Padded(Vocab, 14, [14, 8, 7, 1], [false, true, false, true], seed: 5);

        var (logits, logitsShape) = onnx.Logits(batch);
        Assert.Equal([batch.Batch, batch.Length, Vocab], logitsShape);
        Assert.All(logits, value => Assert.True(float.IsFinite(value)));
        float difference = 0;
        for (int row = 0; row < batch.Batch; row++)
        {
            long[] ids = batch.Row(row);
            long[] ones = Enumerable.Repeat(1L, ids.Length).ToArray();
            long[] positions = Enumerable.Range(0, ids.Length).Select(i => (long)i).ToArray();
            var alone = new TokenBatch(ids, ones, positions, 1, ids.Length, [ids.Length], [0]);
            int start = (row * batch.Length + batch.Offsets[row]) * Vocab;
            difference = Math.Max(difference, TorchLogits.MaxAbsDifference(logits.AsSpan(start, ids.Length * Vocab), onnx.Logits(alone).Values));
        }
        output.WriteLine($"max |padded row − sequence alone| {difference:E2}");
        Assert.InRange(difference, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Optimum_export_with_empty_past_gives_the_plain_export_and_grouped_presents(int heads, int keyValueHeads, int headDim, LlamaBiases biases, bool qkNorm, bool tied)
    {
        var (shape, parameters) = Model(heads, keyValueHeads, headDim, biases, qkNorm, tied, seed: 22);
        using var plain = new OrtModel(RandomLlama.Export(_folder.NewFolder("plain"), shape, parameters, includePast: false));
        using var optimum = new OrtModel(RandomLlama.Export(_folder.NewFolder("optimum"), shape, parameters, includePast: true));
        RandomLlama.Dispose(parameters);
        TokenBatch batch = TokenBatch.Padded(Vocab, 12, [12, 5, 9], [false, true, false], seed: 6);

        string[] presents = PastNames(shape.Layers, "present");
        var outputs = optimum.Run(LongInputs(batch.InputIds, batch.AttentionMask, batch.PositionIds, batch.Shape), optimum.EmptyPast(batch.Batch), ["logits", .. presents]);

        Assert.Equal(["input_ids", "attention_mask", "position_ids", .. PastNames(shape.Layers, "past_key_values")], optimum.InputNames);
        Assert.Equal(["logits", .. presents], optimum.OutputNames);
        foreach (string name in presents)
            Assert.Equal([batch.Batch, keyValueHeads, batch.Length, headDim], outputs[name].Shape);
        float difference = TorchLogits.MaxAbsDifferenceOnRealPositions(outputs["logits"].Values, plain.Logits(batch).Values, batch, Vocab);
        output.WriteLine($"max |past export − plain export| {difference:E2}");
        Assert.InRange(difference, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Continuing_a_left_padded_prefix_from_its_presents_gives_the_full_pass(int heads, int keyValueHeads, int headDim, LlamaBiases biases, bool qkNorm, bool tied)
    {
        var (shape, parameters) = Model(heads, keyValueHeads, headDim, biases, qkNorm, tied, seed: 23);
        using var optimum = new OrtModel(RandomLlama.Export(_folder.NewFolder("optimum"), shape, parameters, includePast: true));
        RandomLlama.Dispose(parameters);
        const int prefixLength = 10, newTokens = 3, total = prefixLength + newTokens;
        TokenBatch prefix = TokenBatch.Padded(Vocab, prefixLength, [prefixLength, 6, 2], [true, true, true], seed: 8);
        int b = prefix.Batch;

        string[] presents = PastNames(shape.Layers, "present");
        var first = optimum.Run(LongInputs(prefix.InputIds, prefix.AttentionMask, prefix.PositionIds, prefix.Shape), optimum.EmptyPast(b), presents);

        (long[] newIds, long[] newPositions, long[] fullIds, long[] fullMask, long[] fullPositions) = prefix.Continue(newTokens, Vocab, seed: 9);
        var past = PastNames(shape.Layers, "past_key_values").Zip(presents).ToDictionary(p => p.First, p => first[p.Second]);
        var inputs = LongInputs(newIds, fullMask, newPositions, [b, newTokens]);
        inputs["attention_mask"] = (fullMask, [b, total]);
        var continued = optimum.Run(inputs, past, ["logits", .. presents]);
        var full = optimum.Run(LongInputs(fullIds, fullMask, fullPositions, [b, total]), optimum.EmptyPast(b), ["logits", .. presents]);

        float difference = 0;
        for (int row = 0; row < b; row++)
        {
            difference = Math.Max(difference, TorchLogits.MaxAbsDifference(
                continued["logits"].Values.AsSpan(row * newTokens * Vocab, newTokens * Vocab),
                full["logits"].Values.AsSpan((row * total + prefixLength) * Vocab, newTokens * Vocab)));
        }
        float presentDifference = presents.Max(name => TorchLogits.MaxAbsDifference(continued[name].Values, full[name].Values));
        output.WriteLine($"max |continued − full|: logits {difference:E2}, presents {presentDifference:E2}");
        Assert.InRange(difference, 0, Tolerance);
        Assert.InRange(presentDifference, 0, Tolerance);
    }

    [Fact]
    public void A_parameter_the_graph_does_not_use_is_named()
    {
        var (shape, parameters) = Model(4, 2, 8, LlamaBiases.None, qkNorm: false, tied: true, seed: 24);
        parameters["lm_head.weight"] = zeros(Vocab, shape.HiddenSize);
        var error = Assert.Throws<InvalidOperationException>(() => LlamaOnnxGraph.Build(shape, parameters, includePast: false, "test"));
        RandomLlama.Dispose(parameters);
        Assert.Contains("lm_head.weight", error.Message);
    }

    [Fact]
    public void A_missing_parameter_is_named()
    {
        var (shape, parameters) = Model(4, 2, 8, LlamaBiases.None, qkNorm: true, tied: false, seed: 25);
        parameters.Remove("model.layers.1.self_attn.k_norm.weight", out Tensor? removed);
        removed!.Dispose();
        var error = Assert.Throws<InvalidOperationException>(() => LlamaOnnxGraph.Build(shape, parameters, includePast: false, "test"));
        RandomLlama.Dispose(parameters);
        Assert.Contains("model.layers.1.self_attn.k_norm.weight", error.Message);
    }

    public void Dispose() => _folder.Dispose();

    private static (LlamaGraphShape, Dictionary<string, Tensor>) Model(int heads, int keyValueHeads, int headDim, LlamaBiases biases, bool qkNorm, bool tied, int seed)
    {
        LlamaGraphShape shape = RandomLlama.Shape(Vocab, hidden: 32, layers: 2, heads, keyValueHeads, headDim, qkNorm, tied);
        return (shape, RandomLlama.Parameters(shape, intermediate: 48, biases, seed));
    }

    private static Dictionary<string, (long[] Values, long[] Shape)> LongInputs(long[] ids, long[] mask, long[] positions, long[] shape) => new()
    {
        ["input_ids"] = (ids, shape),
        ["attention_mask"] = (mask, shape),
        ["position_ids"] = (positions, shape),
    };

    private static string[] PastNames(int layers, string prefix) =>
        Enumerable.Range(0, layers).SelectMany(i => new[] { $"{prefix}.{i}.key", $"{prefix}.{i}.value" }).ToArray();
}
