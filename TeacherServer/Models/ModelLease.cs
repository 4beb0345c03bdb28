namespace Distill.TeacherServer.Models;

/// <summary>A request's hold on one model version: the version stays loaded until every lease is disposed.</summary>
/// <param name="slots">The model name's queue, when the lease holds one of its slots.</param>
public sealed class ModelLease(LoadedModel model, QueueSlots? slots) : IDisposable
{
    private int disposed;

    public LoadedModel Model => model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            slots?.Leave();
            model.Release();
        }
    }
}
