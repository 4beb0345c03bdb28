using System.Text.Json.Nodes;
using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>The fingerprint covers everything that decides ids, and nothing else.</summary>
public sealed class TokenizerFingerprintTests : IDisposable
{
    private const string Sample = "Hello world, I'm 12345 CAFÉ\u0301 <x> here";
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> IdChanges() =>
    [
        "pre-tokenizer", "normalizer", "added token", "added token flag", "post-processor", "merge order", "byte fallback",
    ];

    [Theory]
    [MemberData(nameof(IdChanges))]
    public void Same_vocabulary_with_another_pipeline_has_another_fingerprint(string change)
    {
        JsonObject changed = Change(SmallByteLevel(), change);

        Assert.NotEqual(Describe("base", SmallByteLevel()).Fingerprint, Describe(change, changed).Fingerprint);
    }

    [Fact]
    public void Tokenizers_that_split_differently_do_not_match()
    {
        LoadedTokenizer gpt2Split = Load("gpt2-split", SmallByteLevel());
        LoadedTokenizer digitSplit = Load("digit-split", Change(SmallByteLevel(), "pre-tokenizer"));

        Assert.NotEqual(gpt2Split.Encode(Sample), digitSplit.Encode(Sample));
        Assert.NotEqual(gpt2Split.Fingerprint, digitSplit.Fingerprint);
    }

    [Fact]
    public void Key_order_whitespace_decoder_and_offset_settings_do_not_change_the_fingerprint()
    {
        JsonObject original = SmallByteLevel();
        JsonObject reordered = new(SmallByteLevel().Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        reordered["decoder"] = new JsonObject { ["type"] = "Fuse" };
        reordered["pre_tokenizer"]!["trim_offsets"] = false;
        reordered["post_processor"] = null;

        string a = Write("original", original, indented: false);
        string b = Write("reordered", reordered, indented: true);

        Assert.Equal(TokenizerLoader.Load(a).Fingerprint, TokenizerLoader.Load(b).Fingerprint);
        Assert.Equal(TokenizerLoader.Load(a).Encode(Sample), TokenizerLoader.Load(b).Encode(Sample));
    }

    [Fact]
    public void Gpt2_vocab_and_merges_have_the_fingerprint_and_ids_of_their_tokenizer_json_twin()
    {
        string twin = Path.Combine(_root, "gpt2-json");
        TokenizerFormatTests.WriteTokenizerJson(twin, TestPaths.Gpt2Vocabulary(), mergesAsArrays: false);
        LoadedTokenizer fromFiles = TokenizerLoader.Load(TestPaths.Gpt2);
        LoadedTokenizer fromJson = TokenizerLoader.Load(twin);

        Assert.Equal(fromFiles.Fingerprint, fromJson.Fingerprint);
        Assert.Equal(fromFiles.Encode(Sample + "<|endoftext|>"), fromJson.Encode(Sample + "<|endoftext|>"));
    }

    private TokenizerDescription Describe(string name, JsonObject document) => TokenizerInspector.Describe(Write(name, document, indented: false));

    private LoadedTokenizer Load(string name, JsonObject document) => TokenizerLoader.Load(Write(name, document, indented: false));

    private string Write(string name, JsonObject document, bool indented)
    {
        string folder = Path.Combine(_root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), document.ToJsonString(new() { WriteIndented = indented }));
        return folder;
    }

    /// <summary>A byte-level BPE over the 256 byte symbols, a few merges and one added token, with GPT-2's split.</summary>
    private static JsonObject SmallByteLevel()
    {
        var vocab = new JsonObject();
        foreach (string symbol in ByteLevelAlphabet.Symbols) vocab[symbol] = vocab.Count;
        string[][] merges = [["H", "e"], ["He", "l"], ["Hel", "l"], ["Ġ", "w"], ["1", "2"], ["12", "3"], ["Ġ", "1"], ["Ġ1", "2"]];
        foreach (var merge in merges) vocab[merge[0] + merge[1]] = vocab.Count;
        vocab["<x>"] = vocab.Count;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken("<x>", vocab.Count - 1)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m[0], m[1])).ToArray()),
            },
        };
    }

    private static JsonObject AddedToken(string content, int id) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    private static JsonObject Change(JsonObject document, string change)
    {
        switch (change)
        {
            case "pre-tokenizer": // digits one by one before the byte-level step, as Qwen's split does
                document["pre_tokenizer"] = new JsonObject
                {
                    ["type"] = "Sequence",
                    ["pretokenizers"] = new JsonArray(
                        new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                        document["pre_tokenizer"]!.DeepClone()),
                };
                break;
            case "normalizer":
                document["normalizer"] = new JsonObject { ["type"] = "NFC" };
                break;
            case "added token":
                document["added_tokens"]!.AsArray().Add(AddedToken("Hell", document["model"]!["vocab"]!["Hell"]!.GetValue<int>()));
                break;
            case "added token flag":
                document["added_tokens"]![0]!["lstrip"] = true;
                break;
            case "post-processor":
                document["post_processor"] = new JsonObject
                {
                    ["type"] = "TemplateProcessing",
                    ["single"] = new JsonArray(
                        new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<x>", ["type_id"] = 0 } },
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    ["pair"] = new JsonArray(),
                    ["special_tokens"] = new JsonObject
                    {
                        ["<x>"] = new JsonObject { ["id"] = "<x>", ["ids"] = new JsonArray(document["added_tokens"]![0]!["id"]!.GetValue<int>()), ["tokens"] = new JsonArray("<x>") },
                    },
                };
                break;
            case "merge order":
                var merges = document["model"]!["merges"]!.AsArray();
                var first = merges[6]!.DeepClone();
                merges.RemoveAt(6);
                merges.Insert(0, first);
                break;
            case "byte fallback":
                document["model"]!["byte_fallback"] = true;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }
        return document;
    }
}
