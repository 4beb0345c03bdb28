using Distill.Testing;
using System.Net;
using Distill.Shared.Wire;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.TeacherServer.Tests;

/// <summary>Admission by work: answers in flight stay within the work budget; beyond it requests wait within the queue bound or get 429; an answer alone over it is 413.</summary>
public sealed class WorkBudgetTests
{
    private const int Vocab = 256;
    private const int Context = 256;

    private static TeacherHost Start(string name, params (string Key, string Value)[] settings) => TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, name), vocab: Vocab, context: Context, seed: 5),
        settings.ToDictionary(s => s.Key, s => (string?)s.Value));

    private static int[][] Sequences(int count, int length) =>
        Enumerable.Range(0, count).Select(s => Enumerable.Range(0, length).Select(t => (s * 31 + t * 7) % Vocab).ToArray()).ToArray();

    [Fact]
    public async Task A_request_whose_4_GB_answer_alone_exceeds_the_budget_is_413_naming_the_limit()
    {
        const long budget = 1L << 30;
        using var host = Start("huge", ("TeacherServer:WorkBudgetBytes", budget.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await host.WaitForModelAsync("huge");
        // 8000 × 256 positions at k = 256: an 8 MB request for a 4.2 GB answer.
        var request = new TopKRequest(Sequences(8000, Context), Vocab, 1f);

        using var response = await TopKCalls.SendBinaryAsync(host.Client, "huge", request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}");
        Assert.Contains(budget.ToString(System.Globalization.CultureInfo.InvariantCulture), body);
        Assert.Contains((8000L * Context * TopKBinaryCodec.BytesPerPosition(Vocab, LogprobPrecision.Float32)).ToString(System.Globalization.CultureInfo.InvariantCulture), body);
        Assert.Equal(0, host.Services.GetRequiredService<MemoryBudgets>().Work.InUse);
        using var small = await TopKCalls.SendBinaryAsync(host.Client, "huge", new TopKRequest([[1, 2, 3]], 4, 1f));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task An_amplifying_flood_waits_for_the_work_budget_within_the_queue_bound_and_the_rest_get_429()
    {
        const int queue = 4;
        const int requests = 12;
        const long budget = 20L << 20;
        using var host = Start("flood", ("TeacherServer:WorkBudgetBytes", budget.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("TeacherServer:MaxQueue", queue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await host.WaitForModelAsync("flood");
        var work = host.Services.GetRequiredService<MemoryBudgets>().Work;
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        // 16 × 256 positions at k = 256: a 16 KB request for an 8.4 MB answer, two fit the budget.
        var request = new TopKRequest(Sequences(16, Context), Vocab, 1f);
        var answerBytes = 16L * Context * TopKBinaryCodec.BytesPerPosition(Vocab, LogprobPrecision.Float32);

        await work.TakeAsync(budget, CancellationToken.None); // answers of other requests fill the budget
        var calls = Enumerable.Range(0, requests).Select(_ => TopKCalls.SendBinaryAsync(host.Client, "flood", request)).ToList();
        var refused = new List<HttpResponseMessage>();
        while (refused.Count < requests - queue)
        {
            var done = await Task.WhenAny(calls).WaitAsync(TimeSpan.FromSeconds(30));
            calls.Remove(done);
            refused.Add(await done);
        }
        await Conditions.WaitUntilAsync(() => work.Waiting == queue || calls.Any(c => c.IsCompleted), "the admitted requests waiting for memory");

        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.NotNull(r.Headers.RetryAfter);
        });
        Assert.Equal(queue, calls.Count(c => !c.IsCompleted)); // the admitted ones wait for memory
        Assert.Equal(queue, registry.Admitted("flood"));

        work.Return(budget);
        var answered = await Task.WhenAll(calls);
        Assert.All(answered, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(work.HighWater <= budget, $"high water {work.HighWater} over the budget {budget}");
        Assert.True(answerBytes * 2 <= budget && budget < answerBytes * 3);
        Assert.Equal(0, work.InUse);
        foreach (var response in refused.Concat(answered))
        {
            response.Dispose();
        }
    }
}
