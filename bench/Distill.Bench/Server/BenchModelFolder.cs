namespace Distill.Bench.Server;

/// <summary>Which model the server benchmark runs on.</summary>
public static class BenchModelFolder
{
    public const string DefaultFolder = "models/austen-gpt";

    /// <summary>The --model folder, else models/austen-gpt when it exists, else a random GPT exported to a temp folder.</summary>
    /// <returns>The folder, what it is, and a temporary folder to delete afterwards (or null).</returns>
    public static (string Folder, string Description, string? Temporary) Resolve(string? requested)
    {
        if (requested is not null)
        {
            return Directory.Exists(requested)
                ? (requested, $"model folder {requested}", null)
                : throw new DirectoryNotFoundException($"--model {requested} does not exist");
        }
        if (Directory.Exists(DefaultFolder))
        {
            return (DefaultFolder, $"model folder {DefaultFolder}", null);
        }
        return RandomTeacherExport.Export();
    }
}
