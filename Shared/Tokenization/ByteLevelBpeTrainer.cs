namespace Distill.Shared.Tokenization;

/// <summary>
/// Trains a GPT-2-style byte-level BPE: GPT-2 pre-tokenisation, the 256 byte symbols, then merges of
/// the most frequent adjacent pair (ties: ordinally smallest left, then right token string) until the
/// vocabulary is full. Special tokens take the last ids. Same input, same output, byte for byte.
/// </summary>
public static class ByteLevelBpeTrainer
{
    /// <summary>Trains on <paramref name="texts"/>; with the default options the end-of-text token has the last id.</summary>
    public static BpeVocabulary Train(IEnumerable<string> texts, ByteLevelBpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        Dictionary<string, int> words = WordCounts.Count(texts, options.SpecialTokens);
        var merger = new PairMerger(words);
        List<BpeMerge> merges = merger.Run(options.VocabSize - options.SpecialTokens.Count, options.MinPairFrequency);

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < merger.Tokens.Count; id++) vocab.Add(merger.Tokens[id], id);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in options.SpecialTokens)
        {
            if (vocab.ContainsKey(token))
                throw new InvalidOperationException($"special token '{token}' was also learnt as a merge");
            special[token] = vocab.Count;
            vocab.Add(token, vocab.Count);
        }
        return new BpeVocabulary(vocab, merges, special);
    }
}
