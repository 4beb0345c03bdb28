using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>
/// The real Hugging Face tokenizers under <c>tests/fixtures/tokenizers</c>: each decompressed once into a temp folder
/// and loaded once, with the ids Hugging Face gives for the fixture texts (<c>expected.json</c>, made by <c>make-expected.mjs</c>).
/// </summary>
internal static class HuggingFaceFixtures
{
    public static readonly string[] Names = ["llama3", "qwen3", "llama2", "gemma3"];

    private static readonly ConcurrentDictionary<string, Lazy<string>> Folders = new();
    private static readonly ConcurrentDictionary<string, Lazy<LoadedTokenizer>> Loaded = new();

    public static string Root => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "tokenizers");

    /// <summary>A folder holding the fixture's <c>tokenizer.json</c> (and <c>tokenizer_config.json</c>); do not change it.</summary>
    public static string Folder(string name) => Folders.GetOrAdd(name, n => new Lazy<string>(() => Unpack(n))).Value;

    public static LoadedTokenizer Tokenizer(string name) =>
        Loaded.GetOrAdd(name, n => new Lazy<LoadedTokenizer>(() => TokenizerLoader.Load(Folder(n)))).Value;

    /// <summary>Hugging Face's answers for the fixture texts.</summary>
    public static IReadOnlyList<ExpectedCase> Expected(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, name, "expected.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ExpectedCase(
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("with_special_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!)).ToList();
    }

    /// <summary>(name, index) of every expected case, for theories.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Names)
        {
            for (int i = 0; i < Expected(name).Count; i++) data.Add(name, i);
        }
        return data;
    }

    /// <summary>A copy of the fixture's <c>tokenizer.json</c> text.</summary>
    public static string TokenizerJson(string name) => File.ReadAllText(Path.Combine(Folder(name), "tokenizer.json"));

    /// <summary>Unpacks into a folder named by the fixture's size, reused by later runs instead of piling up copies.</summary>
    private static string Unpack(string name)
    {
        string source = Path.Combine(Root, name);
        string packed = Path.Combine(source, "tokenizer.json.gz");
        string folder = Path.Combine(Path.GetTempPath(), "distill-hf-fixtures", $"{name}-{new FileInfo(packed).Length}");
        Directory.CreateDirectory(folder);
        string json = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(json))
        {
            string partial = $"{json}.{Guid.NewGuid():N}";
            using (var input = new GZipStream(File.OpenRead(packed), CompressionMode.Decompress))
            using (var output = File.Create(partial))
            {
                input.CopyTo(output);
            }
            File.Move(partial, json, overwrite: true);
        }
        File.Copy(Path.Combine(source, "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"), overwrite: true);
        return folder;
    }
}

/// <summary>Hugging Face's ids for one text, with and without the post-processor's tokens, and its decode of the ids.</summary>
internal sealed record ExpectedCase(string Text, int[] Ids, int[] WithSpecialTokens, string Decoded);
