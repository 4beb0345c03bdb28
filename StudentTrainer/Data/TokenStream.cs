using static TorchSharp.torch;

namespace Distill.StudentTrainer.Data;

/// <summary>One split of a corpus as a single stream of token ids (documents joined by the end-of-text id).</summary>
public sealed class TokenStream
{
    private readonly int[] _tokens;

    public TokenStream(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length < 2) throw new ArgumentException("a token stream needs at least 2 tokens");
        _tokens = tokens;
    }

    public int Count => _tokens.Length;

    public ReadOnlySpan<int> Tokens => _tokens;

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
        int window = Math.Min(length, _tokens.Length - 1);
        var inputs = new long[batch * window];
        var targets = new long[batch * window];
        for (int b = 0; b < batch; b++)
        {
            int start = random.Next(0, _tokens.Length - window);
            for (int t = 0; t < window; t++)
            {
                inputs[b * window + t] = _tokens[start + t];
                targets[b * window + t] = _tokens[start + t + 1];
            }
        }
        return (tensor(inputs, [batch, window]), tensor(targets, [batch, window]));
    }

    /// <summary>
    /// Consecutive non-overlapping windows covering every token once as a target, grouped into batches:
    /// inputs (B, T), targets (B, T). The last window may be shorter; it forms a batch of its own.
    /// </summary>
    public IEnumerable<(Tensor Inputs, Tensor Targets)> SequentialBatches(int batch, int length)
    {
        var starts = new List<int>();
        for (int s = 0; s + 1 < _tokens.Length; s += length) starts.Add(s);
        int fullWindows = starts.Count(s => s + length + 1 <= _tokens.Length);
        for (int first = 0; first < fullWindows; first += batch)
        {
            int count = Math.Min(batch, fullWindows - first);
            yield return Slice(starts.Skip(first).Take(count).ToArray(), length);
        }
        if (fullWindows < starts.Count)
        {
            int start = starts[^1];
            yield return Slice([start], _tokens.Length - 1 - start);
        }
    }

    /// <summary>Windows of <paramref name="length"/>+1 tokens at the given starts: inputs (B, T) and next-token targets (B, T).</summary>
    public (Tensor Inputs, Tensor Targets) Slice(int[] starts, int length)
    {
        foreach (int start in starts)
            if (start < 0 || start + length + 1 > _tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(starts), $"window [{start}, {start + length}] is outside the stream of {_tokens.Length} tokens");
        var inputs = new long[starts.Length * length];
        var targets = new long[starts.Length * length];
        for (int b = 0; b < starts.Length; b++)
        {
            for (int t = 0; t < length; t++)
            {
                inputs[b * length + t] = _tokens[starts[b] + t];
                targets[b * length + t] = _tokens[starts[b] + t + 1];
            }
        }
        return (tensor(inputs, [starts.Length, length]), tensor(targets, [starts.Length, length]));
    }
}
