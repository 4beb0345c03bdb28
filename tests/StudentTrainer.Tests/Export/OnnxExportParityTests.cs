using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Xunit.Abstractions;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>ONNX Runtime runs the exported graph and must give TorchSharp's logits (max abs diff ≤ 1e-4).</summary>
public sealed class OnnxExportParityTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly ExportTestFolder _folder = new();

    /// <summary>vocab, context, embedding, layers, heads, bias.</summary>
    public static TheoryData<int, int, int, int, int, bool> Shapes => new()
    {
        { 300, 32, 32, 1, 1, true },
        { 512, 64, 48, 2, 4, false },
        { 1000, 128, 64, 3, 8, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Padded_batch_gives_TorchSharp_logits_on_real_positions(int vocab, int context, int embedding, int layers, int heads, bool bias)
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(vocab, context, embedding, layers, heads, bias), seed: 11);
        using var onnx = new OrtModel(Export(model, includePast: false));
        TokenBatch batch = MixedPaddingBatch(vocab, context, seed: 5);

        var (logits, shape) = onnx.Logits(batch);
        Assert.Equal([batch.Batch, batch.Length, vocab], shape);
        Assert.All(logits, value => Assert.True(float.IsFinite(value)));
        float batchDifference = TorchLogits.MaxAbsDifferenceOnRealPositions(logits, TorchLogits.Of(model, batch), batch, vocab);

        float aloneDifference = 0;
        for (int row = 0; row < batch.Batch; row++)
        {
            float[] alone = TorchLogits.OfSequence(model, batch.Row(row));
            int start = (row * batch.Length + batch.Offsets[row]) * vocab;
            aloneDifference = Math.Max(aloneDifference,
                TorchLogits.MaxAbsDifference(logits.AsSpan(start, alone.Length), alone));
        }
        output.WriteLine($"max |ORT − torch|: padded batch {batchDifference:E2}, each sequence alone {aloneDifference:E2}");
        Assert.InRange(batchDifference, 0, Tolerance);
        Assert.InRange(aloneDifference, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unpadded_full_context_batch_gives_TorchSharp_logits_everywhere(int vocab, int context, int embedding, int layers, int heads, bool bias)
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(vocab, context, embedding, layers, heads, bias), seed: 12);
        using var onnx = new OrtModel(Export(model, includePast: false));
        TokenBatch batch = TokenBatch.Full(vocab, batch: 2, length: context, seed: 6);

        float difference = TorchLogits.MaxAbsDifference(onnx.Logits(batch).Values, TorchLogits.Of(model, batch));
        output.WriteLine($"max |ORT − torch| over all positions: {difference:E2}");
        Assert.InRange(difference, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Optimum_export_with_empty_past_gives_the_plain_export_logits(int vocab, int context, int embedding, int layers, int heads, bool bias)
    {
        ModelConfig config = RandomGpt.Config(vocab, context, embedding, layers, heads, bias);
        using CausalLm model = RandomGpt.Create(config, seed: 13);
        using var plain = new OrtModel(Export(model, includePast: false));
        using var optimum = new OrtModel(Export(model, includePast: true));
        TokenBatch batch = MixedPaddingBatch(vocab, context, seed: 7);

        string[] presentNames = PastNames(layers, "present");
        var outputs = optimum.Run(LongInputs(batch.InputIds, batch.AttentionMask, batch.PositionIds, batch.Shape),
            EmptyPast(config, batch.Batch), ["logits", .. presentNames]);

        Assert.Equal(["input_ids", "attention_mask", "position_ids", .. PastNames(layers, "past_key_values")], optimum.InputNames);
        Assert.Equal(["logits", .. presentNames], optimum.OutputNames);
        foreach (string name in presentNames)
            Assert.Equal([batch.Batch, heads, batch.Length, config.HeadDim], outputs[name].Shape);
        float difference = TorchLogits.MaxAbsDifferenceOnRealPositions(outputs["logits"].Values, plain.Logits(batch).Values, batch, vocab);
        float torchDifference = TorchLogits.MaxAbsDifferenceOnRealPositions(outputs["logits"].Values, TorchLogits.Of(model, batch), batch, vocab);
        output.WriteLine($"max |past export − plain export| {difference:E2}, |past export − torch| {torchDifference:E2}");
        Assert.InRange(difference, 0, Tolerance);
        Assert.InRange(torchDifference, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Optimum_export_continues_a_left_padded_prefix_from_its_presents(int vocab, int context, int embedding, int layers, int heads, bool bias)
    {
        ModelConfig config = RandomGpt.Config(vocab, context, embedding, layers, heads, bias);
        using CausalLm model = RandomGpt.Create(config, seed: 14);
        using var optimum = new OrtModel(Export(model, includePast: true));
        const int newTokens = 3;
        int prefixLength = Math.Min(context, 16) - newTokens;
        TokenBatch prefix = TokenBatch.Padded(vocab, prefixLength, [prefixLength, prefixLength - 4, 2], [true, true, true], seed: 8);
        int b = prefix.Batch, total = prefixLength + newTokens;

        string[] presentNames = PastNames(layers, "present");
        var first = optimum.Run(LongInputs(prefix.InputIds, prefix.AttentionMask, prefix.PositionIds, prefix.Shape),
            EmptyPast(config, b), presentNames);

        (long[] newIds, long[] newPositions, long[] fullIds, long[] fullMask, long[] fullPositions) = prefix.Continue(newTokens, vocab, seed: 9);
        var past = PastNames(layers, "past_key_values").Zip(presentNames).ToDictionary(p => p.First, p => first[p.Second]);
        var inputs = LongInputs(newIds, fullMask, newPositions, [b, newTokens]);
        inputs["attention_mask"] = (fullMask, [b, total]);
        float[] continued = optimum.Run(inputs, past, "logits")["logits"].Values;

        float[] reference = TorchLogits.Of(model, fullIds, fullMask, fullPositions, [b, total]);
        float difference = 0;
        for (int row = 0; row < b; row++)
        {
            difference = Math.Max(difference, TorchLogits.MaxAbsDifference(
                continued.AsSpan(row * newTokens * vocab, newTokens * vocab),
                reference.AsSpan((row * total + prefixLength) * vocab, newTokens * vocab)));
        }
        output.WriteLine($"max |continued ORT − full torch|: {difference:E2}");
        Assert.InRange(difference, 0, Tolerance);
    }

    public void Dispose() => _folder.Dispose();

    private string Export(CausalLm model, bool includePast)
    {
        string folder = _folder.NewFolder(includePast ? "optimum" : "plain");
        OnnxExporter.Export(model, _folder.Tokenizer, folder, new OnnxExportOptions { IncludeEmptyPastKeyValues = includePast });
        return Path.Combine(folder, OnnxExporter.ModelFile);
    }

    /// <summary>Four rows: full, left-padded, right-padded, and a single left-padded token.</summary>
    private static TokenBatch MixedPaddingBatch(int vocab, int context, int seed)
    {
        int length = Math.Min(context, 20);
        return TokenBatch.Padded(vocab, length, [length, length - 6, length / 2, 1], [false, true, false, true], seed);
    }

    private static Dictionary<string, (long[] Values, long[] Shape)> LongInputs(long[] ids, long[] mask, long[] positions, long[] shape) => new()
    {
        ["input_ids"] = (ids, shape),
        ["attention_mask"] = (mask, shape),
        ["position_ids"] = (positions, shape),
    };

    private static Dictionary<string, (float[] Values, long[] Shape)> EmptyPast(ModelConfig config, int batch) =>
        PastNames(config.Layers, "past_key_values").ToDictionary(name => name, _ => (Array.Empty<float>(), new long[] { batch, config.KeyValueHeads, 0, config.HeadDim }));

    private static string[] PastNames(int layers, string prefix) =>
        Enumerable.Range(0, layers).SelectMany(i => new[] { $"{prefix}.{i}.key", $"{prefix}.{i}.value" }).ToArray();
}
