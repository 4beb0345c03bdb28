using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>A failure of the batcher between runs fails the rows waiting then, and the batcher goes on serving.</summary>
public sealed class BatcherFailureTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    [Fact]
    public async Task A_row_the_batcher_cannot_take_fails_alone_and_later_rows_are_answered()
    {
        await exported.WithPlainBatcherAsync("failure", async batcher =>
        {
            // No request decoder lets a row without tokens through; here it stands for any fault while batches are formed.
            var broken = batcher.Submit(new RowWork(null!, K: 4, Temperature: 1f, WantLastLogits: false, CancellationToken.None));
            await Assert.ThrowsAsync<NullReferenceException>(() => broken.WaitAsync(TimeSpan.FromSeconds(30)));

            var answer = await batcher.Submit(new RowWork([1, 2, 3], K: 4, Temperature: 1f, WantLastLogits: false, CancellationToken.None))
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(3, answer.TopK.Length);
        });
    }
}
