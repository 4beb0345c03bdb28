using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Where the code awaiting an answer resumes: on the batcher's own thread for a small answer (no thread-pool hand-off
/// per step of a rollout), on the thread pool for a large one (its encoding must not hold up the next batch).
/// </summary>
public sealed class AnswerHandOverTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    [Fact]
    public async Task A_small_answer_resumes_its_awaiter_inside_the_batchers_run_and_a_large_one_does_not()
    {
        await exported.WithPlainBatcherAsync("handover", async batcher =>
        {
            var small = new RowWork([1, 2, 3], K: 8, Temperature: 1f, WantLastLogits: false, CancellationToken.None, Start: 2);
            var large = new RowWork([.. Enumerable.Range(0, 64).Select(i => i % exported.VocabSize)], K: 100, Temperature: 1f, WantLastLogits: false, CancellationToken.None);

            var smallResumed = StackWhereResumed(small.Completion.Task);
            var largeResumed = StackWhereResumed(large.Completion.Task);
            await batcher.Submit(small);
            await batcher.Submit(large);

            Assert.Contains($"{nameof(DynamicBatcher)}.Execute", await smallResumed);
            Assert.DoesNotContain($"{nameof(DynamicBatcher)}.Execute", await largeResumed);
        });
    }

    /// <summary>Awaits before the task can complete, so the continuation runs wherever the completion puts it.</summary>
    private static async Task<string> StackWhereResumed(Task<RowResult> answer)
    {
        await answer.ConfigureAwait(false); // as in ASP.NET Core, which has no synchronization context
        return Environment.StackTrace;
    }
}
