namespace Distill.TeacherServer.Caching;

/// <summary>64-bit hashes of every prefix of a token sequence (FNV-1a over the ids, then a final mix), computed in one pass.</summary>
public static class PrefixHashes
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <returns>[count]: element l − 1 is the hash of tokens[0, l).</returns>
    public static ulong[] Of(ReadOnlySpan<int> tokens, int count)
    {
        var hashes = new ulong[count];
        var hash = Offset;
        for (var i = 0; i < count; i++)
        {
            var token = (uint)tokens[i];
            for (var shift = 0; shift < 32; shift += 8)
            {
                hash = (hash ^ ((token >> shift) & 0xFF)) * Prime;
            }
            hashes[i] = Mix(hash);
        }
        return hashes;
    }

    /// <summary>Spreads the bits so that dictionary buckets of consecutive prefixes differ.</summary>
    private static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xff51afd7ed558ccdUL;
        value ^= value >> 33;
        return value;
    }
}
