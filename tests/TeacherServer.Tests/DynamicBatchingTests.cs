using Distill.Shared.Wire;
using Distill.Testing;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.TeacherServer.Tests;

/// <summary>Requests with different k and τ share ORT runs and still get exactly their own answers.</summary>
public sealed class DynamicBatchingTests : IDisposable
{
    private readonly SteppedClock clock = new();
    private readonly TeacherHost host;

    public DynamicBatchingTests() => host = TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, "mixed"), vocab: 48, context: 16, seed: 21),
        new Dictionary<string, string?> { ["TeacherServer:BatchWindowMilliseconds"] = "400" }, time: clock);

    public void Dispose() => host.Dispose();

    [Fact]
    public async Task Concurrent_requests_with_different_k_and_temperature_are_merged_and_each_is_exact()
    {
        await host.WaitForModelAsync("mixed");
        var runs = TeacherMetrics.BatchRows.WithLabels("mixed");
        TopKRequest[] requests =
        [
            new([[1, 2, 3, 4, 5]], 1, 1f),
            new([[7, 7], [9, 10, 11, 12, 13, 14, 15]], 6, 0.5f),
            new([[40]], 48, 2f),
            new([[3, 30, 33, 3]], 3, 1.25f),
        ];
        // Another admitted request keeps the batcher waiting for more rows until the window passes, and the clock only
        // moves once every row is queued: the requests are concurrent however the machine schedules them.
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("mixed", admit: true, out var other));
        using var held = other!;
        var batcher = held.Model.Batcher;
        var queuedBefore = batcher.RowsQueued;
        var runsBefore = runs.Count;
        var burst = Task.WhenAll(requests.Select(r => TopKCalls.JsonAsync(host.Client, "mixed", r)));
        var rows = requests.Sum(r => r.Sequences.Length);
        await Conditions.WaitUntilAsync(() => batcher.RowsQueued - queuedBefore == rows || burst.IsCompleted, "every row queued");
        var window = clock.WaitForTimerAsync();
        Assert.Same(window, await Task.WhenAny(burst, window)); // answered before the window passed: nothing waited to merge
        held.Dispose();                                         // the runs after the first do not wait for another window
        clock.Advance(await window);
        var answers = await burst.WaitAsync(TimeSpan.FromSeconds(60));
        var runsOfBurst = runs.Count - runsBefore;

        Assert.True(runsOfBurst < requests.Length, $"{runsOfBurst} ORT runs for {requests.Length} concurrent requests: nothing was merged");
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "mixed", "model.onnx"));
        for (var r = 0; r < requests.Length; r++)
        {
            Assert.Equal(requests[r].K, answers[r].K);
            for (var s = 0; s < requests[r].Sequences.Length; s++)
            {
                var sequence = requests[r].Sequences[s];
                for (var t = 0; t < sequence.Length; t++)
                {
                    Assert.Equal(requests[r].K, answers[r].Sequences[s].Ids[t].Length);
                    TopKCorrectnessTests.AssertMatchesReference(reference, sequence, requests[r].Temperature, requests[r].K,
                        answers[r].Sequences[s].Ids[t], answers[r].Sequences[s].Logprobs[t], answers[r].Sequences[s].NextTokenLogprob, t);
                }
            }
        }
    }

    [Fact]
    public async Task A_request_larger_than_the_token_budget_is_split_over_runs_and_answered_in_order()
    {
        using var small = TeacherHost.Start(
            models => TinyOnnxModel.WriteFolder(Path.Combine(models, "budget"), vocab: 48, context: 16, seed: 22),
            new Dictionary<string, string?> { ["TeacherServer:MaxBatchTokens"] = "8", ["TeacherServer:BatchWindowMilliseconds"] = "0" });
        await small.WaitForModelAsync("budget");
        var runs = TeacherMetrics.BatchRows.WithLabels("budget");
        var runsBefore = runs.Count;
        int[][] sequences = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [21]];

        var answer = await TopKCalls.JsonAsync(small.Client, "budget", new TopKRequest(sequences, 2, 1f));

        Assert.True(runs.Count - runsBefore >= 3, $"{runs.Count - runsBefore} runs for 27 tokens under a budget of 8");
        using var reference = new ReferenceTopK(Path.Combine(small.ModelsFolder, "budget", "model.onnx"));
        for (var s = 0; s < sequences.Length; s++)
        {
            for (var t = 0; t < sequences[s].Length; t++)
            {
                TopKCorrectnessTests.AssertMatchesReference(reference, sequences[s], 1.0, 2,
                    answer.Sequences[s].Ids[t], answer.Sequences[s].Logprobs[t], answer.Sequences[s].NextTokenLogprob, t);
            }
        }
    }

    [Fact]
    public async Task A_requests_rows_share_one_run_and_a_lone_request_does_not_wait_for_the_window()
    {
        var loneClock = new SteppedClock();
        using var lone = TeacherHost.Start(
            models => TinyOnnxModel.WriteFolder(Path.Combine(models, "lone"), vocab: 48, context: 16, seed: 23),
            new Dictionary<string, string?> { ["TeacherServer:BatchWindowMilliseconds"] = "5000" }, time: loneClock);
        await lone.WaitForModelAsync("lone");
        var runs = TeacherMetrics.BatchRows.WithLabels("lone");
        var runsBefore = runs.Count;
        var start = loneClock.GetUtcNow();

        var call = TopKCalls.JsonAsync(lone.Client, "lone", new TopKRequest([[1, 2], [3, 4, 5], [6], [7, 8, 9, 10], [11]], 2, 1f));
        var window = loneClock.WaitForTimerAsync();
        var waited = await Task.WhenAny(call, window) == window; // the clock stands still: a wait for the window never ends…
        if (waited)
        {
            loneClock.Advance(await window);                     // …unless the test moves it, so that the host can close
        }
        var answer = await call.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(waited, "a lone request waited for the window");

        Assert.Equal(5, answer.Sequences.Count);
        Assert.Equal(1, runs.Count - runsBefore);
        Assert.Equal(start, loneClock.GetUtcNow());
    }
}
