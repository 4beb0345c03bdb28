namespace Distill.TeacherServer.Models;

/// <summary>The requests admitted for one model name (running or waiting), whichever version serves them.</summary>
public sealed class QueueSlots
{
    private int admitted;

    public int Admitted => Volatile.Read(ref admitted);

    /// <summary>Takes a slot; false when <paramref name="bound"/> requests already hold one.</summary>
    public bool TryEnter(int bound)
    {
        if (Interlocked.Increment(ref admitted) <= bound)
        {
            return true;
        }
        Interlocked.Decrement(ref admitted);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref admitted);
}
