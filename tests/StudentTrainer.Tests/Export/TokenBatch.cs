namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// A (B, T) batch as the trainer feeds it: each row holds <c>Lengths[b]</c> real tokens, padded on the left or the
/// right with id 0 and mask 0; positions count 0..len-1 over the real tokens (padding gets position 0).
/// </summary>
public sealed record TokenBatch(long[] InputIds, long[] AttentionMask, long[] PositionIds, int Batch, int Length, int[] Lengths, int[] Offsets)
{
    /// <summary>A batch with random ids below <paramref name="vocab"/>; a row is left-padded when <paramref name="leftPadded"/>[b].</summary>
    public static TokenBatch Padded(int vocab, int length, int[] lengths, bool[] leftPadded, int seed)
    {
        var random = new Random(seed);
        int batch = lengths.Length;
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        var positions = new long[batch * length];
        var offsets = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            offsets[b] = leftPadded[b] ? length - lengths[b] : 0;
            for (int i = 0; i < lengths[b]; i++)
            {
                int at = b * length + offsets[b] + i;
                ids[at] = random.Next(vocab);
                mask[at] = 1;
                positions[at] = i;
            }
        }
        return new TokenBatch(ids, mask, positions, batch, length, lengths, offsets);
    }

    public static TokenBatch Full(int vocab, int batch, int length, int seed) =>
        Padded(vocab, length, Enumerable.Repeat(length, batch).ToArray(), new bool[batch], seed);

    public long[] Shape => [Batch, Length];

    /// <summary>The real tokens of row <paramref name="b"/>.</summary>
    public long[] Row(int b) => InputIds.AsSpan(b * Length + Offsets[b], Lengths[b]).ToArray();
}
