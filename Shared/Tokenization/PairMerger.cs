using System.Runtime.InteropServices;
using System.Text;

namespace Distill.Shared.Tokenization;

/// <summary>
/// The merge loop of BPE training with incremental bookkeeping: pair counts and, per pair, the words
/// that hold it are updated only for the words a merge touches. A max-queue of pairs is kept lazily:
/// an entry whose count is out of date is re-queued with the current count when it surfaces.
/// Ties on count go to the pair whose left, then right, token string is ordinally smallest.
/// </summary>
internal sealed class PairMerger
{
    private readonly List<string> _tokens;
    private readonly Dictionary<string, int> _idByToken;
    private readonly int[][] _symbols;
    private readonly int[] _lengths;
    private readonly int[] _frequencies;
    private readonly Dictionary<long, int> _pairCounts = [];
    // May list a word that no longer holds the pair; such words are skipped when merged.
    private readonly Dictionary<long, List<int>> _pairWords = [];
    private readonly PriorityQueue<long, (int Count, long Pair)> _queue;
    private readonly HashSet<long> _touched = [];

    public PairMerger(IReadOnlyDictionary<string, int> wordCounts)
    {
        _tokens = [.. ByteLevelAlphabet.Symbols];
        _idByToken = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Count; id++) _idByToken[_tokens[id]] = id;
        _queue = new PriorityQueue<long, (int Count, long Pair)>(Comparer<(int Count, long Pair)>.Create(ComparePriority));

        _symbols = new int[wordCounts.Count][];
        _lengths = new int[wordCounts.Count];
        _frequencies = new int[wordCounts.Count];
        int w = 0;
        foreach (var (word, count) in wordCounts)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(word);
            _symbols[w] = Array.ConvertAll(utf8, ByteLevelAlphabet.IdOf);
            _lengths[w] = utf8.Length;
            _frequencies[w] = count;
            for (int i = 0; i + 1 < utf8.Length; i++)
            {
                long pair = Pack(_symbols[w][i], _symbols[w][i + 1]);
                AddCount(pair, count);
                AddWord(pair, w);
            }
            w++;
        }
        foreach (var (pair, count) in _pairCounts) _queue.Enqueue(pair, (count, pair));
    }

    /// <summary>Tokens so far, indexed by id: the 256 byte symbols, then one per merge result.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>
    /// Merges the most frequent pair until there are <paramref name="tokenCount"/> tokens or no pair is
    /// seen at least <paramref name="minFrequency"/> times. Returns the merges in order.
    /// </summary>
    public List<BpeMerge> Run(int tokenCount, int minFrequency)
    {
        var merges = new List<BpeMerge>();
        while (_tokens.Count < tokenCount && _queue.TryDequeue(out long pair, out var queued))
        {
            if (!_pairCounts.TryGetValue(pair, out int count)) continue;
            if (count != queued.Count)
            {
                _queue.Enqueue(pair, (count, pair));
                continue;
            }
            if (count < minFrequency) break;

            var (left, right) = Unpack(pair);
            string result = _tokens[left] + _tokens[right];
            // Two merge paths can spell the same string; it then keeps its first id, as in HF tokenizers.
            if (!_idByToken.TryGetValue(result, out int merged))
            {
                merged = _tokens.Count;
                _tokens.Add(result);
                _idByToken[result] = merged;
            }
            merges.Add(new BpeMerge(_tokens[left], _tokens[right]));

            List<int> words = _pairWords[pair];
            _pairWords.Remove(pair);
            _touched.Clear();
            foreach (int w in words) MergeInWord(w, left, right, merged);
            foreach (long touched in _touched)
            {
                if (_pairCounts.TryGetValue(touched, out int c)) _queue.Enqueue(touched, (c, touched));
            }
        }
        return merges;
    }

    private void MergeInWord(int w, int left, int right, int merged)
    {
        int[] s = _symbols[w];
        int n = _lengths[w];
        if (!Holds(s, n, left, right)) return;

        int f = _frequencies[w];
        for (int i = 0; i + 1 < n; i++) AddCount(Pack(s[i], s[i + 1]), -f);
        int j = 0;
        for (int i = 0; i < n; j++)
        {
            if (i + 1 < n && s[i] == left && s[i + 1] == right)
            {
                s[j] = merged;
                i += 2;
            }
            else
            {
                s[j] = s[i++];
            }
        }
        _lengths[w] = j;
        for (int i = 0; i + 1 < j; i++)
        {
            long p = Pack(s[i], s[i + 1]);
            AddCount(p, f);
            if (s[i] == merged || s[i + 1] == merged)
            {
                AddWord(p, w);
                _touched.Add(p);
            }
        }
    }

    private static bool Holds(int[] s, int n, int left, int right)
    {
        for (int i = 0; i + 1 < n; i++)
        {
            if (s[i] == left && s[i + 1] == right) return true;
        }
        return false;
    }

    private void AddCount(long pair, int delta)
    {
        ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _);
        count += delta;
        if (count == 0) _pairCounts.Remove(pair);
    }

    private void AddWord(long pair, int w)
    {
        ref List<int>? words = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairWords, pair, out _);
        words ??= [];
        if (words.Count == 0 || words[^1] != w) words.Add(w);
    }

    private int ComparePriority((int Count, long Pair) a, (int Count, long Pair) b)
    {
        int byCount = b.Count.CompareTo(a.Count);
        if (byCount != 0 || a.Pair == b.Pair) return byCount;
        var (al, ar) = Unpack(a.Pair);
        var (bl, br) = Unpack(b.Pair);
        int byLeft = string.CompareOrdinal(_tokens[al], _tokens[bl]);
        return byLeft != 0 ? byLeft : string.CompareOrdinal(_tokens[ar], _tokens[br]);
    }

    private static long Pack(int left, int right) => ((long)left << 32) | (uint)right;

    private static (int Left, int Right) Unpack(long pair) => ((int)(pair >> 32), (int)pair);
}
