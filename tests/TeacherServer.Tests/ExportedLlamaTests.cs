using Distill.Shared.Onnx;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Llama-family models from the project's exporter, grouped-query pasts included: the server answers with the graph's
/// own log-probs, and answers from a start come from its prefix cache and equal the full answers.
/// </summary>
public sealed class ExportedLlamaTests(ExportedLlamas exported) : IClassFixture<ExportedLlamas>
{
    private const int K = 6;

    private static readonly int[] A = Tokens(1, 20);
    private static readonly int[] B = [.. A[..10], .. Tokens(2, 8)];

    private static readonly int[][] Sequences = [A, [200], [1, 2, 3, 4], Tokens(3, 32)];

    /// <summary>Serves the folder of <paramref name="modelType"/> under a name no other test uses (the metrics are per name and process-wide).</summary>
    private TeacherHost Serve(string modelType, string name, bool splitPast = true) => TeacherHost.Start(
        models => ExportedModels.CopyFolder(modelType == "llama" ? exported.Llama : exported.Qwen3, Path.Combine(models, name)),
        new Dictionary<string, string?> { ["TeacherServer:SplitPastAttention"] = splitPast.ToString() });

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3")]
    public async Task Topk_equals_the_graphs_own_log_probs(string modelType)
    {
        var model = $"exported-{modelType}";
        using var host = Serve(modelType, model);
        await host.WaitForModelAsync(model);
        var answer = await TopKCalls.JsonAsync(host.Client, model, new TopKRequest(Sequences, K, 1f));
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, model, "model.onnx"));
        for (var s = 0; s < Sequences.Length; s++)
        {
            for (var t = 0; t < Sequences[s].Length; t++)
            {
                TopKCorrectnessTests.AssertMatchesReference(reference, Sequences[s], 1f, K,
                    answer.Sequences[s].Ids[t], answer.Sequences[s].Logprobs[t], answer.Sequences[s].NextTokenLogprob, t, tolerance: 2e-4);
            }
        }
        var info = await host.FindModelAsync(model);
        Assert.Equal(exported.VocabSize, info!.VocabSize);
        Assert.Equal(ExportedLlamas.ContextLength, info.ContextLength);
    }

    /// <param name="splitPast">true: the step graph reads the grouped past in place; false: the graph as exported, fetching present.*.</param>
    [Theory]
    [InlineData("llama", true)]
    [InlineData("llama", false)]
    [InlineData("qwen3", true)]
    [InlineData("qwen3", false)]
    public async Task Answers_from_a_start_come_from_the_prefix_cache_and_equal_full_answers(string modelType, bool splitPast)
    {
        var model = $"exported-{modelType}-start-{splitPast}";
        using var host = Serve(modelType, model, splitPast);
        await host.WaitForModelAsync(model);
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);

        await IncrementalTopKTests.AssertIncrementalEqualsFullAsync(host, model, [A], start: A.Length - 1); // fills the cache with A
        var before = hitPositions.Value;
        await IncrementalTopKTests.AssertIncrementalEqualsFullAsync(host, model, [[.. A, 7, 9, 11]], start: A.Length);
        Assert.Equal(A.Length, hitPositions.Value - before);                          // all of A came from the cache

        before = hitPositions.Value;
        await IncrementalTopKTests.AssertIncrementalEqualsFullAsync(host, model, [B, [.. A, 5]], start: 15);
        Assert.Equal(10 + 15, hitPositions.Value - before);                           // B shares 10 tokens with A; A's 15 are capped by start

        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("its prefix cache is off", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("served as exported", StringComparison.Ordinal));
    }

    [Fact]
    public void The_past_in_place_rewrite_recognises_the_grouped_query_graph()
    {
        foreach (var folder in new[] { exported.Llama, exported.Qwen3 })
        {
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
            var newOutputs = SplitPastGraph.Apply(model);
            Assert.NotNull(newOutputs);
            Assert.Equal(4, newOutputs.Count);
        }
    }

    private static int[] Tokens(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(1, 250)).ToArray();
    }
}
