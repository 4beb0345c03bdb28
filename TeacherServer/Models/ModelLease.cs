namespace Distill.TeacherServer.Models;

/// <summary>A request's hold on one model version: the version stays loaded until every lease is disposed.</summary>
public sealed class ModelLease(LoadedModel model, bool admitted) : IDisposable
{
    private int disposed;

    public LoadedModel Model => model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            if (admitted)
            {
                model.Leave();
            }
            model.Release();
        }
    }
}
