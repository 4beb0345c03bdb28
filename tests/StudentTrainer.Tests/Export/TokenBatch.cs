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

    /// <summary>
    /// <paramref name="newTokens"/> seeded random tokens after each row of this (prefix) batch, at the positions that
    /// follow its real tokens, and the whole batch of prefix and new tokens (the prefix's padding kept).
    /// </summary>
    public (long[] NewIds, long[] NewPositions, long[] FullIds, long[] FullMask, long[] FullPositions) Continue(int newTokens, int vocab, int seed)
    {
        int total = Length + newTokens;
        var random = new Random(seed);
        long[] newIds = Enumerable.Range(0, Batch * newTokens).Select(_ => (long)random.Next(vocab)).ToArray();
        long[] newPositions = Enumerable.Range(0, Batch * newTokens).Select(i => (long)(Lengths[i / newTokens] + i % newTokens)).ToArray();
        long[] fullIds = new long[Batch * total], fullMask = new long[Batch * total], fullPositions = new long[Batch * total];
        for (int row = 0; row < Batch; row++)
        {
            for (int t = 0; t < total; t++)
            {
                bool isNew = t >= Length;
                int from = isNew ? row * newTokens + t - Length : row * Length + t;
                fullIds[row * total + t] = isNew ? newIds[from] : InputIds[from];
                fullMask[row * total + t] = isNew ? 1 : AttentionMask[from];
                fullPositions[row * total + t] = isNew ? newPositions[from] : PositionIds[from];
            }
        }
        return (newIds, newPositions, fullIds, fullMask, fullPositions);
    }
}
