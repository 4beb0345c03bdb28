namespace Distill.TeacherServer.Caching;

/// <summary>
/// Where each cached prefix can be found: per prefix hash, the (block, row) pairs holding it, newest first, in a linked
/// list threaded through the entries; each block keeps its own entries. Adding an entry and dropping a block cost a
/// constant per entry of that block, however many other rows share its prefixes (a list per hash searched on removal
/// made dropping n rows with a shared prefix cost n² steps). Not thread-safe, as its cache.
/// </summary>
public sealed class PrefixIndex
{
    private readonly Dictionary<ulong, Entry> newest = [];
    private readonly Dictionary<KvBlock, List<Entry>> byBlock = [];

    /// <summary>Prefix hashes with at least one entry.</summary>
    public int Hashes => newest.Count;

    /// <summary>Makes row <paramref name="row"/> of <paramref name="block"/> the newest holder of the prefix with <paramref name="hash"/>.</summary>
    public void Add(ulong hash, KvBlock block, int row)
    {
        var entry = new Entry(hash, block, row);
        if (newest.TryGetValue(hash, out var previous))
        {
            entry.Older = previous;
            previous.Newer = entry;
        }
        newest[hash] = entry;
        if (!byBlock.TryGetValue(block, out var entries))
        {
            byBlock[block] = entries = [];
        }
        entries.Add(entry);
    }

    /// <summary>The (block, row) pairs holding the prefix with <paramref name="hash"/>, newest first.</summary>
    public IEnumerable<(KvBlock Block, int Row)> Holders(ulong hash)
    {
        for (var entry = newest.GetValueOrDefault(hash); entry is not null; entry = entry.Older)
        {
            yield return (entry.Block, entry.Row);
        }
    }

    /// <summary>Forgets every entry of <paramref name="block"/>.</summary>
    public void Remove(KvBlock block)
    {
        if (!byBlock.Remove(block, out var entries))
        {
            return;
        }
        foreach (var entry in entries)
        {
            if (entry.Older is { } older)
            {
                older.Newer = entry.Newer;
            }
            if (entry.Newer is { } newer)
            {
                newer.Older = entry.Older;
            }
            else if (entry.Older is { } next)
            {
                newest[entry.Hash] = next;
            }
            else
            {
                newest.Remove(entry.Hash);
            }
        }
    }

    public void Clear()
    {
        newest.Clear();
        byBlock.Clear();
    }

    private sealed class Entry(ulong hash, KvBlock block, int row)
    {
        public ulong Hash { get; } = hash;

        public KvBlock Block { get; } = block;

        public int Row { get; } = row;

        public Entry? Older { get; set; }

        public Entry? Newer { get; set; }
    }
}
