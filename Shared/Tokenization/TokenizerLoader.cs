namespace Distill.Shared.Tokenization;

/// <summary>
/// Loads the tokenizer of a model folder, tokenising exactly as Hugging Face's <c>tokenizers</c> does:
/// <c>tokenizer.json</c> of any family when present, else <c>vocab.json</c> + <c>merges.txt</c> read as GPT-2's
/// byte-level BPE. The end-of-sequence id comes from <c>config.json</c>'s <c>eos_token_id</c> when the folder has one,
/// else from <c>tokenizer_config.json</c>'s <c>eos_token</c>, else from a conventional end token.
/// </summary>
public static class TokenizerLoader
{
    /// <summary>Loads the tokenizer in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A tokenizer or config file is malformed or inconsistent.</exception>
    public static LoadedTokenizer Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"tokenizer folder '{folder}' does not exist");

        TokenizerDefinition definition = ReadDefinition(folder);
        int? eosId = EndTokens.EosId(folder, definition);
        int? bosId = EndTokens.BosId(folder, definition);
        var tokenizer = new HuggingFaceTokenizer(definition);
        return new LoadedTokenizer(definition, tokenizer, eosId, bosId, TokenizerFingerprint.Of(definition));
    }

    /// <summary>The tokenizer document of a folder: its <c>tokenizer.json</c>, or GPT-2's for its <c>vocab.json</c> + <c>merges.txt</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is malformed or inconsistent.</exception>
    internal static TokenizerDefinition ReadDefinition(string folder)
    {
        string tokenizerJson = Path.Combine(folder, TokenizerDefinition.FileName);
        if (File.Exists(tokenizerJson)) return TokenizerDefinition.Read(tokenizerJson);
        return TokenizerDefinition.FromByteLevel(ReadByteLevel(folder), folder);
    }

    /// <summary>The checked byte-level BPE vocabulary of a folder, as <see cref="Load"/> reads it.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is malformed or inconsistent.</exception>
    internal static BpeVocabulary ReadByteLevel(string folder)
    {
        BpeVocabulary vocabulary = ReadVocabulary(folder);
        Check(vocabulary, folder);
        return vocabulary;
    }

    private static BpeVocabulary ReadVocabulary(string folder)
    {
        string vocabPath = Path.Combine(folder, TokenizerFiles.VocabFile);
        string mergesPath = Path.Combine(folder, TokenizerFiles.MergesFile);
        if (!File.Exists(vocabPath) || !File.Exists(mergesPath))
        {
            string missing = File.Exists(vocabPath) ? mergesPath : vocabPath;
            throw new FileNotFoundException(
                $"tokenizer folder '{folder}' holds neither {TokenizerDefinition.FileName} nor {TokenizerFiles.VocabFile} + {TokenizerFiles.MergesFile}", missing);
        }
        var vocab = TokenizerFiles.ReadVocab(vocabPath);
        var merges = TokenizerFiles.ReadMerges(mergesPath);
        return new BpeVocabulary(vocab, merges, Unreachable(vocab, merges));
    }

    // vocab.json does not flag special tokens: those that are neither a byte symbol nor a merge result are.
    private static Dictionary<string, int> Unreachable(Dictionary<string, int> vocab, List<BpeMerge> merges)
    {
        var reachable = new HashSet<string>(ByteLevelAlphabet.Symbols, StringComparer.Ordinal);
        foreach (var merge in merges) reachable.Add(merge.Result);
        return vocab.Where(e => !reachable.Contains(e.Key)).ToDictionary(StringComparer.Ordinal);
    }

    private static void Check(BpeVocabulary vocabulary, string folder)
    {
        string? missingSymbol = ByteLevelAlphabet.Symbols.FirstOrDefault(s => !vocabulary.Vocab.ContainsKey(s));
        if (missingSymbol is not null)
            throw new InvalidDataException($"tokenizer in '{folder}' lacks the byte symbol '{missingSymbol}'");
        foreach (var merge in vocabulary.Merges)
        {
            if (!vocabulary.Vocab.ContainsKey(merge.Left) || !vocabulary.Vocab.ContainsKey(merge.Right) || !vocabulary.Vocab.ContainsKey(merge.Result))
                throw new InvalidDataException($"tokenizer in '{folder}': merge '{merge}' uses or makes a token missing from the vocabulary");
        }
    }
}
