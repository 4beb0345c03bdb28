using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Loads the byte-level BPE tokenizer of a model folder: <c>tokenizer.json</c> when present, else
/// <c>vocab.json</c> + <c>merges.txt</c>. The end-of-sequence id comes from <c>config.json</c>'s
/// <c>eos_token_id</c> when the folder has one, else from <c>&lt;|endoftext|&gt;</c>.
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

        BpeVocabulary vocabulary = ReadByteLevel(folder);
        int? eosId = ConfigEosId(folder, vocabulary.Size) ?? EndOfTextId(vocabulary);
        return new LoadedTokenizer(Create(vocabulary), TokenizerKinds.ByteLevelBpe, vocabulary.Size, eosId, TokenizerFingerprint.Compute(vocabulary));
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

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c>, if the vocabulary has it.</summary>
    internal static int? EndOfTextId(BpeVocabulary vocabulary) =>
        vocabulary.Vocab.TryGetValue(ByteLevelBpeTrainerOptions.EndOfText, out int id) ? id : null;

    /// <summary>A Microsoft.ML.Tokenizers byte-level BPE over <paramref name="vocabulary"/> with GPT-2 pre-tokenisation.</summary>
    public static Tokenizer Create(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var special = vocabulary.SpecialTokens.Count == 0 ? null : vocabulary.SpecialTokens;
        return BpeTokenizer.Create(new BpeOptions(vocabulary.Vocab)
        {
            Merges = vocabulary.Merges.Select(m => m.ToString()),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Gpt2Pattern.Regex(), special),
            SpecialTokens = special,
        });
    }

    private static BpeVocabulary ReadVocabulary(string folder)
    {
        string tokenizerJson = Path.Combine(folder, TokenizerJsonReader.FileName);
        if (File.Exists(tokenizerJson)) return TokenizerJsonReader.Read(tokenizerJson);

        string vocabPath = Path.Combine(folder, TokenizerFiles.VocabFile);
        string mergesPath = Path.Combine(folder, TokenizerFiles.MergesFile);
        if (!File.Exists(vocabPath) || !File.Exists(mergesPath))
        {
            string missing = File.Exists(vocabPath) ? mergesPath : vocabPath;
            throw new FileNotFoundException(
                $"tokenizer folder '{folder}' holds neither {TokenizerJsonReader.FileName} nor {TokenizerFiles.VocabFile} + {TokenizerFiles.MergesFile}", missing);
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

    private static int? ConfigEosId(string folder, int vocabSize)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}' must hold a JSON object");
            if (!document.RootElement.TryGetProperty("eos_token_id", out var eos)) return null;
            // Some configs list several end tokens; the first is the one generation appends.
            if (eos.ValueKind == JsonValueKind.Array) eos = eos.GetArrayLength() > 0 ? eos[0] : default;
            if (eos.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
            if (eos.ValueKind != JsonValueKind.Number || !eos.TryGetInt32(out int id) || id < 0 || id >= vocabSize)
                throw new InvalidDataException($"'{path}': eos_token_id {eos.GetRawText()} is not an id below {vocabSize}");
            return id;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
