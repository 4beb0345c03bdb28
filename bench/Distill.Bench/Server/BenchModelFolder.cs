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

    /// <summary>
    /// Runs <paramref name="run"/> on a models folder (a temp folder holding a link named <paramref name="modelName"/> to
    /// the resolved model folder), deleting the temp folders afterwards.
    /// </summary>
    public static async Task<int> ServeAsync(string? requested, string modelName, Func<string, string, string, Task<int>> run)
    {
        var (folder, description, temporary) = Resolve(requested);
        var models = Path.Combine(Path.GetTempPath(), "distill-bench-models-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(models);
        Directory.CreateSymbolicLink(Path.Combine(models, modelName), Path.GetFullPath(folder));
        try
        {
            return await run(folder, description, models);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }
}
