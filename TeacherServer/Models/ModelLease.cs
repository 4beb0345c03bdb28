using Distill.TeacherServer.Batching;

namespace Distill.TeacherServer.Models;

/// <summary>
/// A request's hold on one model version: the version stays loaded until every lease is disposed. An admitted request
/// is also expected by the version's batcher (it may submit rows) until it submits its last rows or ends.
/// </summary>
public sealed class ModelLease : IDisposable
{
    private readonly LoadedModel model;
    private readonly QueueSlots? slots;
    private int expected;
    private int disposed;

    /// <param name="slots">The model name's queue, when the lease holds one of its slots.</param>
    public ModelLease(LoadedModel model, QueueSlots? slots)
    {
        this.model = model;
        this.slots = slots;
        if (slots is not null)
        {
            expected = 1;
            model.Batcher.Expect();
        }
    }

    public LoadedModel Model => model;

    /// <summary>Queues the request's last rows, together; the batcher stops waiting for this request.</summary>
    public Task<RowResult>[] SubmitLast(IReadOnlyList<RowWork> rows)
    {
        StopExpecting();
        return model.Batcher.Submit(rows);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            StopExpecting();
            slots?.Leave();
            model.Release();
        }
    }

    private void StopExpecting()
    {
        if (Interlocked.Exchange(ref expected, 0) == 1)
        {
            model.Batcher.Unexpect();
        }
    }
}
