using Distill.StudentTrainer.Export;
using Xunit.Abstractions;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// The exported graph of each Llama-family fixture, run by ONNX Runtime, gives the log-probs the PyTorch reference
/// committed with it (max abs diff ≤ 1e-4 on the real positions): GQA, llama3 and linear rope scaling, q/k/v/o and MLP
/// biases, a tied head, Qwen3's q/k norm, BF16/F16 weights and a sharded checkpoint.
/// </summary>
public sealed class LlamaOnnxReferenceTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly ExportTestFolder _folder = new();

    public static TheoryData<string, bool> Cases()
    {
        var cases = new TheoryData<string, bool>();
        foreach (string name in new[] { "llama", "llama-tied-bias", "llama-bf16", "llama-sharded", "mistral", "qwen2", "qwen3" })
        {
            cases.Add(name, false);
            cases.Add(name, true);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exported_graph_gives_the_reference_log_probs(string name, bool includePast)
    {
        using HuggingFaceFixture fixture = HuggingFaceFixture.Load(name);
        string path = RandomLlama.Export(_folder.NewFolder(name), fixture.Shape, fixture.Parameters, includePast);
        using var onnx = new OrtModel(path);

        var (logits, shape) = onnx.Logits(fixture.Batch);
        int vocab = fixture.Shape.VocabSize;
        Assert.Equal([fixture.Batch.Batch, fixture.Batch.Length, vocab], shape);
        float difference = TorchLogits.MaxAbsDifferenceOnRealPositions(LogSoftmax(logits, vocab), fixture.Logprobs, fixture.Batch, vocab);
        output.WriteLine($"{name}: max |ORT log-prob − PyTorch log-prob| on real positions {difference:E2}");
        Assert.InRange(difference, 0, Tolerance);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Log-softmax over each run of <paramref name="vocab"/> values, in double.</summary>
    private static float[] LogSoftmax(float[] logits, int vocab)
    {
        var result = new float[logits.Length];
        for (int start = 0; start < logits.Length; start += vocab)
        {
            var row = logits.AsSpan(start, vocab);
            double max = double.NegativeInfinity;
            foreach (float value in row) max = Math.Max(max, value);
            double sum = 0;
            foreach (float value in row) sum += Math.Exp(value - max);
            double logSum = max + Math.Log(sum);
            for (int i = 0; i < vocab; i++) result[start + i] = (float)(row[i] - logSum);
        }
        return result;
    }
}
