namespace Distill.TeacherServer.Memory;

/// <summary>What one request holds of a <see cref="ByteBudget"/>; disposing gives it all back (more than once is harmless).</summary>
public sealed class BudgetCharge(ByteBudget budget) : IDisposable
{
    private long bytes;

    public long Bytes => Volatile.Read(ref bytes);

    /// <summary>Holds <paramref name="total"/> bytes from now on: gives back the excess, or takes the difference if it fits at once.</summary>
    public bool TryResize(long total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        var held = Bytes;
        if (total <= held)
        {
            budget.Return(held - total);
        }
        else if (!budget.TryTake(total - held))
        {
            return false;
        }
        Volatile.Write(ref bytes, total);
        return true;
    }

    /// <summary>Holds <paramref name="total"/> more bytes, waiting for them behind earlier waiters.</summary>
    public async Task AddAsync(long total, CancellationToken cancellation)
    {
        await budget.TakeAsync(total, cancellation);
        Interlocked.Add(ref bytes, total);
    }

    public void Dispose()
    {
        var held = Interlocked.Exchange(ref bytes, 0);
        if (held > 0)
        {
            budget.Return(held);
        }
    }
}
