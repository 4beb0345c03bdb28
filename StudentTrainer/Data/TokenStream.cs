using static TorchSharp.torch;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// One split of a corpus as a single stream of token ids (documents joined by the end-of-text id), held in an array or
/// in a memory-mapped <see cref="TokenFile"/>.
/// </summary>
public sealed class TokenStream
{
    private readonly ITokenStore _tokens;

    public TokenStream(int[] tokens)
        : this(new ArrayTokens(tokens ?? throw new ArgumentNullException(nameof(tokens))))
    {
    }

    internal TokenStream(ITokenStore tokens)
    {
        if (tokens.Count < 2) throw new ArgumentException("a token stream needs at least 2 tokens");
        _tokens = tokens;
    }

    public int Count => _tokens.Count;

    /// <summary>The <paramref name="length"/> ids from <paramref name="start"/> on.</summary>
    public int[] Read(int start, int length)
    {
        if (start < 0 || length < 0 || length > Count - start)
            throw new ArgumentOutOfRangeException(nameof(start), $"ids [{start}, {start + length}) are outside the stream of {Count} tokens");
        var ids = new int[length];
        _tokens.CopyTo(start, ids);
        return ids;
    }

    /// <summary>Joins documents, each followed by <paramref name="separator"/>.</summary>
    public static TokenStream Join(IEnumerable<IReadOnlyList<int>> documents, int separator)
    {
        var all = new List<int>();
        foreach (IReadOnlyList<int> document in documents)
        {
            all.AddRange(document);
            all.Add(separator);
        }
        return new TokenStream(all.ToArray());
    }

    /// <summary>
    /// <paramref name="batch"/> windows of <paramref name="length"/>+1 tokens at random offsets drawn from
    /// <paramref name="random"/>: inputs (B, T) and next-token targets (B, T), int64 on the CPU.
    /// </summary>
    public (Tensor Inputs, Tensor Targets) RandomBatch(Random random, int batch, int length)
    {
        int window = Math.Min(length, Count - 1);
        var starts = new int[batch];
        for (int b = 0; b < batch; b++) starts[b] = random.Next(0, Count - window);
        return Slice(starts, window);
    }

    /// <summary>
    /// Consecutive non-overlapping windows covering every token once as a target, grouped into batches:
    /// inputs (B, T), targets (B, T). The last window may be shorter; it forms a batch of its own.
    /// </summary>
    public IEnumerable<(Tensor Inputs, Tensor Targets)> SequentialBatches(int batch, int length)
    {
        var starts = new List<int>();
        for (int s = 0; s + 1 < Count; s += length) starts.Add(s);
        int fullWindows = starts.Count(s => s + length + 1 <= Count);
        for (int first = 0; first < fullWindows; first += batch)
        {
            int count = Math.Min(batch, fullWindows - first);
            yield return Slice(starts.Skip(first).Take(count).ToArray(), length);
        }
        if (fullWindows < starts.Count)
        {
            int start = starts[^1];
            yield return Slice([start], Count - 1 - start);
        }
    }

    /// <summary>Windows of <paramref name="length"/>+1 tokens at the given starts: inputs (B, T) and next-token targets (B, T).</summary>
    public (Tensor Inputs, Tensor Targets) Slice(int[] starts, int length)
    {
        foreach (int start in starts)
            if (start < 0 || start + length + 1 > Count)
                throw new ArgumentOutOfRangeException(nameof(starts), $"window [{start}, {start + length}] is outside the stream of {Count} tokens");
        var inputs = new long[starts.Length * length];
        var targets = new long[starts.Length * length];
        var window = new int[length + 1];
        for (int b = 0; b < starts.Length; b++)
        {
            _tokens.CopyTo(starts[b], window);
            for (int t = 0; t < length; t++)
            {
                inputs[b * length + t] = window[t];
                targets[b * length + t] = window[t + 1];
            }
        }
        return (tensor(inputs, [starts.Length, length]), tensor(targets, [starts.Length, length]));
    }
}
