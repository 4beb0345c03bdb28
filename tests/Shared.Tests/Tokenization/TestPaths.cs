using System.Text.Json;
using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Austen => Path.Combine(RepoRoot, "data", "austen");

    public static string Gpt2 => Path.Combine(AppContext.BaseDirectory, "Data", "gpt2");

    /// <summary>GPT-2's <c>vocab.json</c> + <c>merges.txt</c>, with <c>&lt;|endoftext|&gt;</c> as its one special token.</summary>
    public static BpeVocabulary Gpt2Vocabulary()
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(Gpt2, "vocab.json")))!;
        var merges = File.ReadLines(Path.Combine(Gpt2, "merges.txt")).Skip(1).Where(l => l.Length > 0)
            .Select(l => new BpeMerge(l[..l.IndexOf(' ')], l[(l.IndexOf(' ') + 1)..])).ToList();
        return new BpeVocabulary(vocab, merges, new Dictionary<string, int> { [ByteLevelBpeTrainerOptions.EndOfText] = 50256 });
    }

    /// <summary>The six novels, raw, in file-name order.</summary>
    public static IReadOnlyList<string> AustenTexts() =>
        Directory.GetFiles(Austen, "*.txt").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();

    public static string NewTempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "distill-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Distill.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no Distill.sln above '{AppContext.BaseDirectory}'");
    }
}
