using System.Net;
using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Top-k from a start position: answers equal a full recompute's positions from start on, whether the prefix cache
/// hits, partly hits, misses or was evicted, for mixed rows in one run, across a hot swap and without a KV cache.
/// </summary>
public sealed class IncrementalTopKTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    private const int K = 6;
    private const float Tolerance = 1e-5f;

    private static readonly int[] A = Tokens(1, 20);
    private static readonly int[] B = [.. A[..10], .. Tokens(2, 8)];
    private static readonly int[] C = Tokens(3, 16);

    private TeacherHost Serve(string name, string? folder = null, long? cacheBytes = null, bool splitPast = true)
    {
        var settings = new Dictionary<string, string?> { ["TeacherServer:SplitPastAttention"] = splitPast.ToString() };
        if (cacheBytes is { } bytes)
        {
            settings["TeacherServer:PrefixCacheBytes"] = bytes.ToString();
        }
        return TeacherHost.Start(models => ExportedModels.CopyFolder(folder ?? exported.Optimum, Path.Combine(models, name)), settings);
    }

    /// <param name="splitPast">true: the step graph reads the past in place; false: the graph as exported, fetching present.*.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hit_partial_hit_and_miss_each_equal_a_full_recompute(bool splitPast)
    {
        var model = $"inc-hits-{splitPast}";
        using var host = Serve(model, splitPast: splitPast);
        await host.WaitForModelAsync(model);
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);

        await AssertIncrementalEqualsFullAsync(host, model, [A], start: A.Length - 1); // fills the cache with A
        var before = hitPositions.Value;
        int[] longerA = [.. A, 7, 9, 11];
        await AssertIncrementalEqualsFullAsync(host, model, [longerA], start: A.Length);
        Assert.Equal(A.Length, hitPositions.Value - before);                       // hit: all of A came from the cache

        before = hitPositions.Value;
        await AssertIncrementalEqualsFullAsync(host, model, [B], start: 15, fullFirst: false);
        Assert.Equal(10, hitPositions.Value - before);                             // partial hit: the 10 tokens B shares with A

        before = hitPositions.Value;
        await AssertIncrementalEqualsFullAsync(host, model, [C], start: 5, fullFirst: false);
        Assert.Equal(0, hitPositions.Value - before);                              // miss
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("served as exported", StringComparison.Ordinal)); // the rewrite was kept
    }

    [Fact]
    public async Task Rows_with_different_cached_lengths_share_one_run_and_each_is_exact()
    {
        const string model = "inc-mixed";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        await AssertIncrementalEqualsFullAsync(host, model, [A], start: A.Length - 1);
        var hits = TeacherMetrics.PrefixCacheHits.WithLabels(model).Value;
        var misses = TeacherMetrics.PrefixCacheMisses.WithLabels(model).Value;
        var runs = TeacherMetrics.BatchRows.WithLabels(model).Count;

        // cached 12 (capped by start), 10 (shared with A) and 0 positions, in one request, so in one run
        int[][] sequences = [[.. A, 3, 4], B, C];
        var incremental = await IncrementalAsync(host, model, sequences, start: 12);

        Assert.Equal(1, TeacherMetrics.BatchRows.WithLabels(model).Count - runs);
        Assert.Equal(2, TeacherMetrics.PrefixCacheHits.WithLabels(model).Value - hits);
        Assert.Equal(1, TeacherMetrics.PrefixCacheMisses.WithLabels(model).Value - misses);
        AssertSamePositions(await IncrementalAsync(host, model, sequences, 0), incremental, sequences, start: 12);
    }

    [Theory]
    [InlineData(10, 14, 12, true)] // longer rows answer more positions and reuse only up to the start: assembled pasts
    [InlineData(12, 12, 12, true)] // lockstep: the previous step's block grows in place, past its first capacity
    [InlineData(12, 12, 12, false)]
    public async Task Continuing_a_batch_token_by_token_runs_only_the_new_tokens_and_stays_exact(int first, int second, int third, bool splitPast)
    {
        var model = $"inc-steps-{first}-{second}-{third}-{splitPast}";
        using var host = Serve(model, splitPast: splitPast);
        await host.WaitForModelAsync(model);
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);
        List<int>[] rows = [[.. Tokens(4, first)], [.. Tokens(5, second)], [.. Tokens(6, third)]];
        var random = new Random(9);
        await IncrementalAsync(host, model, rows.Select(r => r.ToArray()).ToArray(), start: rows.Min(r => r.Count) - 1);
        for (var step = 0; step < 24; step++)
        {
            foreach (var row in rows)
            {
                row.Add(random.Next(exported.VocabSize));
            }
            var sequences = rows.Select(r => r.ToArray()).ToArray();
            var start = sequences.Min(s => s.Length) - 1;
            var before = hitPositions.Value;
            await AssertIncrementalEqualsFullAsync(host, model, sequences, start, fullFirst: false);
            Assert.Equal(3 * start, hitPositions.Value - before);
        }
        Assert.InRange(TeacherMetrics.PrefixCacheBytes.WithLabels(model).Value, 1, 1L << 30);
    }

    [Fact]
    public async Task An_evicted_prefix_is_recomputed_and_the_budget_holds_under_a_flood_of_prefixes()
    {
        const string model = "inc-flood";
        // one block of 20 positions holds 48 slots (20 plus headroom, in steps of 16):
        // 2 layers × (key + value) × 4 heads × 48 × 8 × 4 bytes = 24,576 bytes; the budget holds two
        const long budget = 60_000;
        using var host = Serve(model, cacheBytes: budget);
        await host.WaitForModelAsync(model);
        var bytes = TeacherMetrics.PrefixCacheBytes.WithLabels(model);
        var evictions = TeacherMetrics.PrefixCacheEvictions.WithLabels(model);
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);
        var evictedBefore = evictions.Value;

        await IncrementalAsync(host, model, [A], start: A.Length - 1);
        for (var i = 0; i < 40; i++)
        {
            await IncrementalAsync(host, model, [Tokens(100 + i, 20)], start: 19);
            Assert.InRange(bytes.Value, 0, budget);
        }
        Assert.True(evictions.Value - evictedBefore >= 38, $"{evictions.Value - evictedBefore} evictions");

        var before = hitPositions.Value;
        await AssertIncrementalEqualsFullAsync(host, model, [[.. A, 5]], start: A.Length, fullFirst: false);
        Assert.Equal(0, hitPositions.Value - before);                              // A was evicted: recomputed
    }

    [Fact]
    public async Task Whole_sequence_requests_neither_fill_the_cache_nor_look_it_up()
    {
        const string model = "inc-whole";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        var bytes = TeacherMetrics.PrefixCacheBytes.WithLabels(model);
        var hits = TeacherMetrics.PrefixCacheHits.WithLabels(model);
        var misses = TeacherMetrics.PrefixCacheMisses.WithLabels(model);

        await IncrementalAsync(host, model, [A, B], start: 0);
        Assert.Equal(0, bytes.Value);

        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model).Value;
        await AssertIncrementalEqualsFullAsync(host, model, [[.. A, 5]], start: A.Length, fullFirst: false);
        Assert.Equal(0, TeacherMetrics.PrefixCacheHitPositions.WithLabels(model).Value - hitPositions);
        Assert.Equal(0, hits.Value);
        Assert.Equal(1, misses.Value);
        Assert.True(bytes.Value > 0, "a request from a start > 0 is kept for the requests that continue it");
    }

    [Fact]
    public async Task After_a_hot_swap_no_prefix_of_the_old_version_is_served()
    {
        const string model = "inc-swap";
        using var host = Serve(model);
        var v1 = (await host.WaitForModelAsync(model))!.Version;
        int[] longerA = [.. A, 7];
        var old = await IncrementalAsync(host, model, [longerA], start: A.Length);

        ModelFiles.ReplaceAtomically(Path.Combine(host.ModelsFolder, model, "model.onnx"), File.ReadAllBytes(Path.Combine(exported.OtherOptimum, "model.onnx")));
        var v2 = (await host.WaitForModelAsync(model, m => m is not null && m.Version != v1))!.Version;

        var swapped = await AssertIncrementalEqualsFullAsync(host, model, [longerA], start: A.Length, fullFirst: false);
        Assert.Equal(v2, swapped.Version);
        // Two random initialisations are both near uniform, so their top log-probabilities can agree closely: compare the answers whole.
        bool sameIds = old.Sequences[0].Ids.SequenceEqual(swapped.Sequences[0].Ids);
        double largestGap = old.Sequences[0].Logprobs.Zip(swapped.Sequences[0].Logprobs, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(!sameIds || largestGap > 1e-3, "the two versions should differ");
    }

    [Fact]
    public async Task A_model_without_a_kv_cache_answers_start_requests_by_recomputing()
    {
        const string model = "inc-plain";
        using var host = Serve(model, exported.Plain);
        await host.WaitForModelAsync(model);
        await AssertIncrementalEqualsFullAsync(host, model, [A, B], start: 9);
        await AssertIncrementalEqualsFullAsync(host, model, [[.. A, 1]], start: A.Length);
        Assert.Equal(0, TeacherMetrics.PrefixCacheHits.WithLabels(model).Value + TeacherMetrics.PrefixCacheMisses.WithLabels(model).Value);
    }

    [Fact]
    public async Task A_model_whose_cached_steps_disagree_with_its_whole_pass_answers_start_requests_by_recomputing()
    {
        const string model = "inc-positions-from-zero";
        var folder = Path.Combine(exported.Root, model);
        PositionsFromZero.Write(exported.Optimum, folder);
        using var host = Serve(model, folder);
        await host.WaitForModelAsync(model);

        await AssertIncrementalEqualsFullAsync(host, model, [A], start: A.Length - 1);
        await AssertIncrementalEqualsFullAsync(host, model, [[.. A, 7, 9]], start: A.Length);
        await AssertIncrementalEqualsFullAsync(host, model, [B, C], start: 12, fullFirst: false);
        Assert.Equal(0, TeacherMetrics.PrefixCacheHits.WithLabels(model).Value + TeacherMetrics.PrefixCacheMisses.WithLabels(model).Value);
        Assert.Contains(host.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("served as exported", StringComparison.Ordinal)
                                                && e.Message.Contains(model, StringComparison.Ordinal));
        Assert.Contains(host.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("its prefix cache is off", StringComparison.Ordinal)
                                                && e.Message.Contains(model, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_model_whose_present_outputs_are_not_past_and_new_positions_answers_start_requests_by_recomputing()
    {
        const string model = "inc-present-is-past";
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, model), vocab: 300, context: 32, pastLayers: 2));
        await host.WaitForModelAsync(model);

        int[] row = [.. A[..12]];
        await AssertIncrementalEqualsFullAsync(host, model, [row], start: 11);
        await AssertIncrementalEqualsFullAsync(host, model, [[.. row, 5]], start: 12);
        Assert.Equal(0, TeacherMetrics.PrefixCacheHits.WithLabels(model).Value + TeacherMetrics.PrefixCacheMisses.WithLabels(model).Value);
        Assert.Contains(host.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("its prefix cache is off", StringComparison.Ordinal)
                                                && e.Message.Contains("not what a cache needs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compact_ids_and_json_carry_the_same_answer_from_a_start()
    {
        const string model = "inc-encodings";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        var request = new TopKRequest([A, B], K, 1f, Start: 8);
        var wide = await TopKCalls.BinaryAsync(host.Client, model, request);
        var compact = await TopKCalls.BinaryAsync(host.Client, model, request, float16: true, compactIds: true);
        var json = await TopKCalls.JsonAsync(host.Client, model, request);
        Assert.Equal(8, compact.Start);
        Assert.Equal(8, json.Start);
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(wide.Sequences[s].Ids, compact.Sequences[s].Ids);
            Assert.Equal(wide.Sequences[s].Length, json.Sequences[s].Ids.Length);
            Assert.Equal(wide.Sequences[s].Ids, json.Sequences[s].Ids.SelectMany(i => i));
        }
    }

    [Fact]
    public async Task The_trainers_client_asks_from_a_start_and_receives_16_bit_ids()
    {
        const string model = "inc-client";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        var headers = new AnswerHeaders();
        using var http = host.CreateClient(headers);
        var client = new Distill.StudentTrainer.Teacher.TeacherClient(http, model, LogprobPrecision.Float16);

        var request = new TopKRequest([A, B], K, 1f, Start: 8);
        var viaClient = await client.TopKAsync(request, CancellationToken.None);
        var wide = await TopKCalls.BinaryAsync(host.Client, model, request, float16: true);

        Assert.Equal("DKR2"u8.ToArray(), headers.First[..4]);
        Assert.Equal((byte)IdWidth.UInt16, headers.First[5]);
        Assert.Equal(8, viaClient.Start);
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(wide.Sequences[s].Ids, viaClient.Sequences[s].Ids);
            Assert.Equal(wide.Sequences[s].Logprobs, viaClient.Sequences[s].Logprobs);
        }
    }

    [Theory]
    [InlineData(-1, "negative")]
    [InlineData(10, "past the end")]
    [InlineData(25, "past the end")]
    public async Task A_bad_start_is_a_400_naming_the_problem(int start, string problem)
    {
        const string model = "inc-bad";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        var request = new TopKRequest([A, A[..10]], K, 1f, Start: start);

        using var json = await host.Client.PostAsJsonAsync($"/v1/models/{model}/topk", request);
        using var binary = await TopKCalls.SendBinaryAsync(host.Client, model, request);

        foreach (var response in new[] { json, binary })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(problem, await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Keeps the first bytes of the last answer that passed.</summary>
    private sealed class AnswerHeaders : DelegatingHandler
    {
        public byte[] First { get; private set; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            First = bytes[..Math.Min(8, bytes.Length)];
            var copy = new ByteArrayContent(bytes);
            foreach (var header in response.Content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            response.Content = copy;
            return response;
        }
    }

    private static int[] Tokens(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(1, 250)).ToArray();
    }

    private static Task<TopKResult> IncrementalAsync(TeacherHost host, string model, int[][] sequences, int start) =>
        TopKCalls.BinaryAsync(host.Client, model, new TopKRequest(sequences, K, 1f, start));

    /// <summary>
    /// Asks from <paramref name="start"/> and compares with the same positions of a full (start 0) answer, asked for
    /// first or after (a full request neither uses the cache nor fills it).
    /// </summary>
    internal static async Task<TopKResult> AssertIncrementalEqualsFullAsync(TeacherHost host, string model, int[][] sequences, int start, bool fullFirst = true)
    {
        TopKResult full, incremental;
        if (fullFirst)
        {
            full = await IncrementalAsync(host, model, sequences, 0);
            incremental = await IncrementalAsync(host, model, sequences, start);
        }
        else
        {
            incremental = await IncrementalAsync(host, model, sequences, start);
            full = await IncrementalAsync(host, model, sequences, 0);
        }
        AssertSamePositions(full, incremental, sequences, start);
        return incremental;
    }

    private static void AssertSamePositions(TopKResult full, TopKResult incremental, int[][] sequences, int start)
    {
        Assert.Equal(start, incremental.Start);
        AnswerSlices.AssertEqual(full, incremental, sequences, [.. sequences.Select(_ => start)], Tolerance);
    }
}
