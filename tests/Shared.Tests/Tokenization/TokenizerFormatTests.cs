using System.Text.Json;
using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

public sealed class TokenizerFormatTests : IDisposable
{
    private const string Sample = "“Mr. Knightley,” said Emma, — 1816 <|endoftext|> naïve\r\n\tend  ";
    private readonly string _root = TestPaths.NewTempFolder();
    private readonly BpeVocabulary _vocabulary;
    private readonly string _filesFolder;

    public TokenizerFormatTests()
    {
        string slice = File.ReadAllText(Path.Combine(TestPaths.Austen, "persuasion.txt"))[..100_000];
        _vocabulary = ByteLevelBpeTrainer.Train([slice], new ByteLevelBpeTrainerOptions(600));
        _filesFolder = Path.Combine(_root, "files");
        TokenizerFiles.Write(_filesFolder, _vocabulary);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tokenizer_json_and_vocab_merges_agree(bool mergesAsArrays)
    {
        string jsonFolder = Path.Combine(_root, "json");
        WriteTokenizerJson(jsonFolder, _vocabulary, mergesAsArrays);

        LoadedTokenizer fromFiles = TokenizerLoader.Load(_filesFolder);
        LoadedTokenizer fromJson = TokenizerLoader.Load(jsonFolder);

        Assert.Equal(fromFiles.Fingerprint, fromJson.Fingerprint);
        Assert.Equal(fromFiles.Encode(Sample), fromJson.Encode(Sample));
        Assert.Equal(Sample, fromJson.Decode(fromJson.Encode(Sample)));
        Assert.Equal(fromFiles.VocabSize, fromJson.VocabSize);
        Assert.Equal(fromFiles.EosId, fromJson.EosId);
        Assert.Contains(_vocabulary.Vocab.Count - 1, fromJson.Encode(Sample));
    }

    [Fact]
    public void Tokenizer_json_wins_over_vocab_and_merges()
    {
        WriteTokenizerJson(_filesFolder, _vocabulary with { Merges = _vocabulary.Merges.Take(10).ToList() }, mergesAsArrays: false);
        Assert.NotEqual(TokenizerFingerprint.Compute(_vocabulary), TokenizerLoader.Load(_filesFolder).Fingerprint);
    }

    [Fact]
    public void Different_vocabularies_have_different_fingerprints()
    {
        LoadedTokenizer gpt2 = TokenizerLoader.Load(TestPaths.Gpt2);
        Assert.NotEqual(gpt2.Fingerprint, TokenizerLoader.Load(_filesFolder).Fingerprint);
        Assert.Equal(TokenizerFingerprint.Compute(_vocabulary), TokenizerLoader.Load(_filesFolder).Fingerprint);
    }

    [Fact]
    public void Config_eos_token_id_takes_precedence()
    {
        File.WriteAllText(Path.Combine(_filesFolder, "config.json"), """{ "eos_token_id": 7, "vocab_size": 600 }""");
        Assert.Equal(7, TokenizerLoader.Load(_filesFolder).EosId);
        File.WriteAllText(Path.Combine(_filesFolder, "config.json"), """{ "eos_token_id": [5, 6] }""");
        Assert.Equal(5, TokenizerLoader.Load(_filesFolder).EosId);
    }

    /// <summary>A minimal Hugging Face tokenizer.json for a byte-level BPE, as the tokenizers library writes it.</summary>
    internal static void WriteTokenizerJson(string folder, BpeVocabulary vocabulary, bool mergesAsArrays)
    {
        Directory.CreateDirectory(folder);
        var document = new
        {
            version = "1.0",
            added_tokens = vocabulary.SpecialTokens.Select(e => new
            {
                id = e.Value,
                content = e.Key,
                single_word = false,
                lstrip = false,
                rstrip = false,
                normalized = true,
                special = true,
            }),
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = false, use_regex = true },
            decoder = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = true, use_regex = true },
            model = new
            {
                type = "BPE",
                dropout = (object?)null,
                unk_token = (object?)null,
                continuing_subword_prefix = "",
                end_of_word_suffix = "",
                fuse_unk = false,
                byte_fallback = false,
                vocab = vocabulary.Vocab.Where(e => !vocabulary.SpecialTokens.ContainsKey(e.Key)).OrderBy(e => e.Value).ToDictionary(),
                merges = mergesAsArrays
                    ? vocabulary.Merges.Select(m => (object)new[] { m.Left, m.Right })
                    : vocabulary.Merges.Select(m => (object)m.ToString()),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(document));
    }
}
