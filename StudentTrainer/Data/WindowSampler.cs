namespace Distill.StudentTrainer.Data;

/// <summary>
/// A deterministic order of training windows over a token stream. Epoch e covers the stream once with windows of
/// <c>length + 1</c> tokens at stride <c>length</c>, starting from a seeded offset, visited in a seeded random order.
/// Batch n is a pure function of (seed, n), so the data cursor of a run is just the index of its next batch.
/// </summary>
public sealed class WindowSampler
{
    private readonly int _length;
    private readonly int _batch;
    private readonly int _seed;
    private (long Epoch, int Offset, int[] Order)? _cached;

    public WindowSampler(TokenStream stream, int length, int batch, int seed)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (length < 1) throw new ArgumentException($"window length must be ≥ 1, got {length}");
        if (batch < 1) throw new ArgumentException($"batch size must be ≥ 1, got {batch}");
        // Every offset in [0, length) must leave WindowsPerEpoch whole windows of length + 1 tokens.
        WindowsPerEpoch = (stream.Count - 1 - (length - 1)) / length;
        if (WindowsPerEpoch < 1)
            throw new ArgumentException($"a stream of {stream.Count} tokens is too short for windows of {length} tokens");
        Stream = stream;
        _length = length;
        _batch = batch;
        _seed = seed;
    }

    public TokenStream Stream { get; }

    public int WindowsPerEpoch { get; }

    /// <summary>Start offsets of the windows of batch <paramref name="batchIndex"/>.</summary>
    public int[] StartsOf(long batchIndex)
    {
        if (batchIndex < 0) throw new ArgumentOutOfRangeException(nameof(batchIndex), "batch index must be ≥ 0");
        var starts = new int[_batch];
        for (int b = 0; b < _batch; b++)
        {
            long window = batchIndex * _batch + b;
            (int offset, int[] order) = Epoch(window / WindowsPerEpoch);
            starts[b] = offset + order[window % WindowsPerEpoch] * _length;
        }
        return starts;
    }

    /// <summary>Token ids of the inputs of batch <paramref name="batchIndex"/>, one array per window.</summary>
    public int[][] InputsOf(long batchIndex) =>
        StartsOf(batchIndex).Select(start => Stream.Read(start, _length)).ToArray();

    private (int Offset, int[] Order) Epoch(long epoch)
    {
        lock (this)
        {
            if (_cached is { } cached && cached.Epoch == epoch) return (cached.Offset, cached.Order);
            var random = new Random(unchecked(_seed * 1_000_003 + (int)epoch * 7_919 + 17)); // not HashCode: it is randomised per process
            int offset = random.Next(_length);
            int[] order = Enumerable.Range(0, WindowsPerEpoch).ToArray();
            random.Shuffle(order);
            _cached = (epoch, offset, order);
            return (offset, order);
        }
    }
}
