namespace Distill.Shared.Tests.Tokenization;

internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Austen => Path.Combine(RepoRoot, "data", "austen");

    public static string Gpt2 => Path.Combine(AppContext.BaseDirectory, "Data", "gpt2");

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
