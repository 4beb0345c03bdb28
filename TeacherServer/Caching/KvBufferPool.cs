namespace Distill.TeacherServer.Caching;

/// <summary>
/// Buffers of dropped or outgrown <see cref="KvBlock"/>s, kept for the next block of the same size (rollouts of one
/// batch size grow through the same sizes). Memory the process already touched is cheap to reuse; fresh memory costs
/// page faults on first touch (with 4 KiB pages, growing a block here cost 47–69 ms against about 1 ms with reused
/// memory; <see cref="KvBuffer"/> asks for huge pages, which cut the first touch of a 24 MB block from 63 to 4 ms). So a
/// growing block also asks for the buffer of its next size ahead (<see cref="Prepare"/>): it is allocated and touched on
/// a thread-pool thread while ORT runs the steps between.
/// Bounded by bytes, prepared buffers included; beyond the bound a returned buffer is freed.
/// </summary>
public sealed class KvBufferPool(long maxBytes) : IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, Stack<KvBuffer>> free = [];
    private readonly HashSet<long> preparing = [];
    private long bytesHeld;
    private bool disposed;

    public long BytesHeld
    {
        get
        {
            lock (gate)
            {
                return bytesHeld;
            }
        }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> floats, and whether it is fresh (zeroed) rather than reused.</summary>
    public (KvBuffer Buffer, bool Fresh) Rent(long length)
    {
        lock (gate)
        {
            if (free.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
            {
                bytesHeld -= buffer.Bytes;
                return (buffer, false);
            }
        }
        return (new KvBuffer(length), true);
    }

    public void Return(KvBuffer buffer)
    {
        lock (gate)
        {
            if (!disposed && bytesHeld + buffer.Bytes <= maxBytes)
            {
                if (!free.TryGetValue(buffer.Length, out var stack))
                {
                    free[buffer.Length] = stack = new Stack<KvBuffer>();
                }
                stack.Push(buffer);
                bytesHeld += buffer.Bytes;
                return;
            }
        }
        buffer.Dispose();
    }

    /// <summary>
    /// Makes sure, in the background, that the pool will hold one free buffer of each length in
    /// <paramref name="lengths"/>, touched so that renting and filling it costs no page faults.
    /// </summary>
    public void Prepare(IReadOnlyList<long> lengths)
    {
        var wanted = new List<long>();
        lock (gate)
        {
            foreach (var group in lengths.GroupBy(l => l))
            {
                var have = free.TryGetValue(group.Key, out var stack) ? stack.Count : 0;
                if (!preparing.Contains(group.Key))
                {
                    wanted.AddRange(Enumerable.Repeat(group.Key, Math.Max(0, group.Count() - have)));
                }
            }
            if (disposed || wanted.Count == 0 || bytesHeld + wanted.Sum(l => l * sizeof(float)) > maxBytes)
            {
                return;
            }
            preparing.UnionWith(wanted);
        }
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            foreach (var length in wanted)
            {
                Return(new KvBuffer(length)); // zeroing it is the first touch, where the page faults happen
            }
            lock (gate)
            {
                preparing.ExceptWith(wanted);
            }
        }, null);
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var buffer in free.Values.SelectMany(s => s))
            {
                buffer.Dispose();
            }
            free.Clear();
            bytesHeld = 0;
        }
    }
}
