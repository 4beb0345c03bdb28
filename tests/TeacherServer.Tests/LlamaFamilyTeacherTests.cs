using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Distill.TeacherServer.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Llama-family teachers exported by torch.onnx in Optimum's layout (tests/fixtures/huggingface/onnx-teachers: a GQA
/// Llama with llama3 RoPE scaling and a Qwen3 with q/k norms) answer as the PyTorch modules they came from.
/// </summary>
public sealed class LlamaFamilyTeacherTests
{
    private const float Tolerance = 1e-4f;
    private const int Vocab = 272;

    private static TeacherHost Serve(string teacher, bool splitPast = true) => TeacherHost.Start(
        models =>
        {
            var destination = Path.Combine(models, teacher);
            Directory.CreateDirectory(destination);
            foreach (var file in Directory.GetFiles(HuggingFaceReference.TeacherFolder(teacher)).Where(f => Path.GetFileName(f) != "reference.json"))
            {
                File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
            }
        },
        new Dictionary<string, string?> { ["TeacherServer:SplitPastAttention"] = splitPast.ToString(), ["TeacherServer:MaxK"] = Vocab.ToString() });

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3")]
    public async Task Topk_over_the_whole_vocabulary_equals_pytorch(string teacher)
    {
        var reference = HuggingFaceReference.Read(HuggingFaceReference.TeacherFolder(teacher));
        var rows = reference.Rows();
        using var host = Serve(teacher);
        var info = (await host.WaitForModelAsync(teacher))!;
        Assert.Equal(Vocab, info.VocabSize);

        var answer = await TopKCalls.BinaryAsync(host.Client, teacher, new TopKRequest(rows, Vocab, 1f));

        for (var r = 0; r < rows.Length; r++)
        {
            AssertEqualsReference(answer.Sequences[r], reference.Logprobs[r], rows[r], start: 0);
        }
    }

    /// <param name="splitPast">true: cached steps may read the past in place; false: the graph as exported, fetching present.*.</param>
    [Theory]
    [InlineData("llama", true)]
    [InlineData("llama", false)]
    [InlineData("qwen3", true)]
    [InlineData("qwen3", false)]
    public async Task Answers_from_a_start_through_the_prefix_cache_equal_the_full_ones(string teacher, bool splitPast)
    {
        var reference = HuggingFaceReference.Read(HuggingFaceReference.TeacherFolder(teacher));
        var rows = reference.Rows();
        const int start = 4;
        using var host = Serve(teacher, splitPast);
        await host.WaitForModelAsync(teacher);
        var cached = TeacherMetrics.PrefixCacheHitPositions.WithLabels(teacher);

        await TopKCalls.BinaryAsync(host.Client, teacher, new TopKRequest(rows.Select(r => r[..(start + 1)]).ToArray(), 8, 1f, start));
        var before = cached.Value;
        var incremental = await TopKCalls.BinaryAsync(host.Client, teacher, new TopKRequest(rows, Vocab, 1f, start));
        var full = await TopKCalls.BinaryAsync(host.Client, teacher, new TopKRequest(rows, Vocab, 1f));

        Assert.Equal(rows.Length * start, cached.Value - before); // every row's first positions came from the cache
        for (var r = 0; r < rows.Length; r++)
        {
            AssertEqualsReference(incremental.Sequences[r], reference.Logprobs[r], rows[r], start);
            for (var i = 0; i < incremental.Sequences[r].Length; i++)
            {
                var fromStart = incremental.Sequences[r].LogprobsAt(i).ToArray();
                var whole = full.Sequences[r].LogprobsAt(start + i).ToArray();
                Assert.All(fromStart.Zip(whole), pair => Assert.Equal(pair.Second, pair.First, 1e-5f));
            }
        }
    }

    /// <summary>So the cache test's splitPast=true case runs the rewritten graph for Qwen3 (the GQA Llama's is never rewritten).</summary>
    [Fact]
    public void The_multi_head_qwen3_graph_is_rewritten_to_read_the_past_in_place()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(HuggingFaceReference.TeacherFolder("qwen3"), "model.onnx")));
        using var options = new SessionOptions();
        using var session = TeacherSession.Open(model, "logits", options, keyValueHeads: null, headDim: null);
        Assert.True(session.OutputsNewKeyValuesOnly);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3")]
    public async Task The_served_tokenizer_fingerprint_is_the_one_the_trainer_computes(string teacher)
    {
        using var host = Serve(teacher);
        var info = (await host.WaitForModelAsync(teacher))!;

        var trainerSide = TokenizerLoader.Load(HuggingFaceReference.TeacherFolder(teacher));
        Assert.Equal(TokenizerKinds.ByteLevelBpe, info.TokenizerKind);
        Assert.Equal(trainerSide.Fingerprint, info.TokenizerFingerprint);
        Assert.True(trainerSide.VocabSize <= info.VocabSize, $"the tokenizer's {trainerSide.VocabSize} ids exceed the {info.VocabSize} logits");
        Assert.Equal(268, info.EosId);
    }

    /// <summary>Every position from <paramref name="start"/> on holds each id once, with PyTorch's log-prob of it.</summary>
    private static void AssertEqualsReference(SequenceTopK answer, float[][] expected, int[] row, int start)
    {
        Assert.Equal(row.Length - start, answer.Length);
        for (var i = 0; i < answer.Length; i++)
        {
            var t = start + i;
            var ids = answer.IdsAt(i).ToArray();
            var logprobs = answer.LogprobsAt(i).ToArray();
            Assert.Equal(Enumerable.Range(0, Vocab), ids.Order());
            for (var j = 0; j < ids.Length; j++)
            {
                Assert.True(Math.Abs(expected[t][ids[j]] - logprobs[j]) <= Tolerance,
                    $"position {t}, id {ids[j]}: served {logprobs[j]}, PyTorch {expected[t][ids[j]]}");
            }
            if (t + 1 < row.Length)
            {
                Assert.Equal(expected[t][row[t + 1]], answer.NextTokenLogprobs[i], Tolerance);
            }
        }
    }
}
