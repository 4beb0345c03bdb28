using System.Numerics;

namespace Distill.TeacherServer.Selection;

/// <summary>
/// The k largest of one position's log-probs, most probable first, equal values in ascending id order (ONNX TopK's
/// order); NaN counts as smaller than −∞. A threshold taken from a strided sample keeps about 1.5·k candidates, and
/// only those are sorted.
/// </summary>
public static class TopKSelector
{
    private const int SampleSize = 128;

    /// <summary>Writes the k = ids.Length largest of <paramref name="values"/> and their ids.</summary>
    /// <exception cref="ArgumentException">k is larger than the vocabulary or the two outputs differ in length.</exception>
    public static void Select(ReadOnlySpan<float> values, Span<int> ids, Span<float> selected)
    {
        var k = ids.Length;
        if (selected.Length != k)
        {
            throw new ArgumentException("ids and selected must have the same length.", nameof(selected));
        }
        if (k > values.Length)
        {
            throw new ArgumentException($"k = {k} is larger than the {values.Length} values.", nameof(ids));
        }
        if (k == 0)
        {
            return;
        }
        var scratch = Scratch.For(values.Length);
        var count = k * 8 >= values.Length || values.Length < 2 * SampleSize
            ? CollectAll(values, scratch)
            : CollectAboveSampledThreshold(values, k, scratch);
        var order = scratch.SortByRank(count);
        for (var i = 0; i < k; i++)
        {
            var id = order[i];
            ids[i] = id;
            selected[i] = values[id];
        }
    }

    /// <summary>
    /// The top k of each of <paramref name="count"/> consecutive positions of a (positions × vocab) block, from
    /// <paramref name="first"/> on; position i's k ids and log-probs go to i·k … i·k + k − 1 of the outputs.
    /// </summary>
    /// <exception cref="ArgumentException">The positions reach past the block or the outputs do not hold count × k.</exception>
    public static void SelectPositions(ReadOnlySpan<float> block, int vocab, long first, int count, int k, Span<int> ids, Span<float> selected)
    {
        if (vocab <= 0 || first < 0 || count < 0 || (first + count) * vocab > block.Length)
        {
            throw new ArgumentException($"positions {first} … {first + count - 1} do not lie in a block of {block.Length} values of vocabulary {vocab}.", nameof(block));
        }
        if (ids.Length != (long)count * k || selected.Length != ids.Length)
        {
            throw new ArgumentException($"the outputs must hold {count} × {k} values.", nameof(ids));
        }
        for (var i = 0; i < count; i++)
        {
            Select(block.Slice((int)((first + i) * vocab), vocab), ids.Slice(i * k, k), selected.Slice(i * k, k));
        }
    }

    /// <summary>
    /// Keys of every value at or above a threshold that at least k values reach: the value of rank ≈ 1.5·k scaled
    /// into a strided sample, halved in rank until enough values pass, else every value.
    /// </summary>
    private static int CollectAboveSampledThreshold(ReadOnlySpan<float> values, int k, Scratch keys)
    {
        var stride = values.Length / SampleSize;
        Span<float> sample = stackalloc float[SampleSize];
        for (var i = 0; i < SampleSize; i++)
        {
            var value = values[i * stride];
            sample[i] = float.IsNaN(value) ? float.NegativeInfinity : value;
        }
        sample.Sort();
        var rank = (int)((long)k * SampleSize * 3 / (2L * values.Length)) + 1;
        while (rank < SampleSize)
        {
            var count = CollectAtLeast(values, sample[SampleSize - 1 - rank], keys);
            if (count >= k)
            {
                return count;
            }
            rank *= 2;
        }
        return CollectAll(values, keys);
    }

    private static int CollectAtLeast(ReadOnlySpan<float> values, float threshold, Scratch keys)
    {
        var count = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var limit = new Vector<float>(threshold);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                if (Vector.GreaterThanOrEqualAny(new Vector<float>(values[i..]), limit))
                {
                    for (var j = i; j < i + Vector<float>.Count; j++)
                    {
                        if (values[j] >= threshold)
                        {
                            keys.Add(count++, values[j], j);
                        }
                    }
                }
            }
        }
        for (; i < values.Length; i++)
        {
            if (values[i] >= threshold)
            {
                keys.Add(count++, values[i], i);
            }
        }
        return count;
    }

    private static int CollectAll(ReadOnlySpan<float> values, Scratch keys)
    {
        for (var i = 0; i < values.Length; i++)
        {
            keys.Add(i, values[i], i);
        }
        return values.Length;
    }

    /// <summary>
    /// One thread's candidate buffers: a rank per candidate (ascending ranks order values descending, NaN last) and its
    /// id, collected in ascending id order and sorted by a stable least-significant-digit radix sort, so equal values
    /// keep ascending ids.
    /// </summary>
    private sealed class Scratch
    {
        private const int DigitBits = 8;
        private const int Digits = 1 << DigitBits;

        [ThreadStatic]
        private static Scratch? current;

        private uint[] ranks = [], spareRanks = [];
        private int[] ids = [], spareIds = [];
        private readonly int[] histogram = new int[Digits];

        public static Scratch For(int length)
        {
            var scratch = current ??= new Scratch();
            if (scratch.ranks.Length < length)
            {
                scratch.ranks = new uint[length];
                scratch.spareRanks = new uint[length];
                scratch.ids = new int[length];
                scratch.spareIds = new int[length];
            }
            return scratch;
        }

        public void Add(int at, float value, int id)
        {
            ranks[at] = LogprobRank.Of(value);
            ids[at] = id;
        }

        /// <returns>The first <paramref name="count"/> ids, sorted by rank.</returns>
        public ReadOnlySpan<int> SortByRank(int count)
        {
            if (count <= SmallCount)
            {
                return SortFew(count);
            }
            for (var shift = 0; shift < 32; shift += DigitBits)
            {
                Array.Clear(histogram);
                for (var i = 0; i < count; i++)
                {
                    histogram[(int)(ranks[i] >> shift) & (Digits - 1)]++;
                }
                if (histogram[(int)(ranks[0] >> shift) & (Digits - 1)] == count)
                {
                    continue;
                }
                var offset = 0;
                for (var digit = 0; digit < Digits; digit++)
                {
                    var size = histogram[digit];
                    histogram[digit] = offset;
                    offset += size;
                }
                for (var i = 0; i < count; i++)
                {
                    var at = histogram[(int)(ranks[i] >> shift) & (Digits - 1)]++;
                    spareRanks[at] = ranks[i];
                    spareIds[at] = ids[i];
                }
                (ranks, spareRanks) = (spareRanks, ranks);
                (ids, spareIds) = (spareIds, ids);
            }
            return ids.AsSpan(0, count);
        }

        /// <summary>Below this many candidates a comparison sort beats the radix sort's fixed cost per digit.</summary>
        private const int SmallCount = 96;

        private ReadOnlySpan<int> SortFew(int count)
        {
            Span<ulong> keys = stackalloc ulong[count];
            for (var i = 0; i < count; i++)
            {
                keys[i] = ((ulong)ranks[i] << 32) | (uint)ids[i];
            }
            keys.Sort();
            for (var i = 0; i < count; i++)
            {
                ids[i] = (int)(uint)keys[i];
            }
            return ids.AsSpan(0, count);
        }
    }
}
