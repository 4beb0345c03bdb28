using Distill.Shared.Onnx;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Onnx;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Rows of different k, τ and start share one run; the graph then selects the largest k and each row takes its first
/// k. Each row's answer equals the C# selection's, whole and through the prefix cache.
/// </summary>
public sealed class TopKPlacementBatchTests
{
    private static async Task<RowResult[]> AnswerAsync(string model, TopKPlacement placement, IReadOnlyList<RowWork[]> groups)
    {
        var folder = PlacementTeachers.Folder(model);
        var manifest = TeacherManifestReader.Read(folder);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = TeacherSession.Open(ModelProto.Parser.ParseFrom(File.ReadAllBytes(manifest.ModelPath)), manifest.LogitsName, options,
            manifest.KeyValueHeads, manifest.HeadDim, manifest.VocabLimit, placement: placement);
        Assert.Equal(placement, session.Placement);
        var batcher = new DynamicBatcher(session, model, maxBatchTokens: 4096, window: TimeSpan.Zero, NullLogger.Instance, prefixCacheBytes: 64L << 20);
        try
        {
            var results = new List<RowResult>();
            foreach (var group in groups)
            {
                results.AddRange(await Task.WhenAll(batcher.Submit(group)));
            }
            return [.. results];
        }
        finally
        {
            await batcher.StopAsync();
        }
    }

    private static RowWork[][] Groups()
    {
        var random = new Random(9);
        int[] Tokens(int length) => Enumerable.Range(0, length).Select(_ => random.Next(0, 250)).ToArray();
        var rows = new[] { Tokens(11), Tokens(6), Tokens(15), Tokens(9) };
        int[] ks = [1, 40, 5, 200];
        float[] temperatures = [1f, 0.5f, 1.5f, 1f];
        // Whole rows first (they fill the prefix cache), then the same rows from starts, then one step further.
        return
        [
            [.. rows.Select((r, i) => new RowWork(r, ks[i], temperatures[i], WantLastLogits: i == 2, CancellationToken.None))],
            [.. rows.Select((r, i) => new RowWork(r, ks[(i + 1) % 4], temperatures[i], WantLastLogits: false, CancellationToken.None, Start: r.Length / 2))],
            [.. rows.Select((r, i) => new RowWork([.. r, 7], ks[(i + 2) % 4], temperatures[i], WantLastLogits: i == 0, CancellationToken.None, Start: r.Length))],
        ];
    }

    [Theory]
    [InlineData(PlacementTeachers.Austen)]
    [InlineData(PlacementTeachers.Llama)]
    public async Task Rows_of_different_k_in_one_run_take_their_first_k_of_the_graphs_selection(string model)
    {
        var host = await AnswerAsync(model, TopKPlacement.Host, Groups());
        var graph = await AnswerAsync(model, TopKPlacement.Graph, Groups());

        Assert.Equal(host.Length, graph.Length);
        for (var r = 0; r < host.Length; r++)
        {
            TopKPlacementTests.AssertSameAnswers(host[r].TopK, graph[r].TopK);
            Assert.Equal(host[r].LastLogits, graph[r].LastLogits);
        }
        Assert.Equal(200, graph[3].TopK.K);
        Assert.Equal(1, graph[0].TopK.K);
    }
}
