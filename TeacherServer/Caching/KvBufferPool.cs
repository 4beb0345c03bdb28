namespace Distill.TeacherServer.Caching;

/// <summary>
/// Buffers of dropped or outgrown <see cref="KvBlock"/>s, kept for the next block of the same size (rollouts of one
/// batch size grow through the same sizes). Memory the process already touched is cheap to reuse; fresh memory costs
/// a page fault per 4 KiB page on first touch, which on this machine made growing a block cost 40–50 ms against about
/// 1 ms with reused buffers. Bounded by bytes; beyond the bound a returned buffer is freed. Not thread-safe (the
/// batcher's only).
/// </summary>
public sealed class KvBufferPool(long maxBytes) : IDisposable
{
    private readonly Dictionary<int, Stack<KvBuffer>> free = [];

    public long BytesHeld { get; private set; }

    /// <summary>A buffer of exactly <paramref name="length"/> floats, and whether it is fresh (zeroed) rather than reused.</summary>
    public (KvBuffer Buffer, bool Fresh) Rent(int length)
    {
        if (free.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
        {
            BytesHeld -= buffer.Bytes;
            return (buffer, false);
        }
        return (new KvBuffer(length), true);
    }

    public void Return(KvBuffer buffer)
    {
        if (BytesHeld + buffer.Bytes > maxBytes)
        {
            buffer.Dispose();
            return;
        }
        if (!free.TryGetValue(buffer.Length, out var stack))
        {
            free[buffer.Length] = stack = new Stack<KvBuffer>();
        }
        stack.Push(buffer);
        BytesHeld += buffer.Bytes;
    }

    public void Dispose()
    {
        foreach (var buffer in free.Values.SelectMany(s => s))
        {
            buffer.Dispose();
        }
        free.Clear();
        BytesHeld = 0;
    }
}
